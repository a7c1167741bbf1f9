//! Page evidence: what the content script's DOM walker saw on one page, and the only thing it
//! sends about a page. Compact, bounded and markup-free: text runs with the label, heading or
//! column header nearest to them, form control values with their hints, contact links, JSON-LD,
//! and the scopes (the page, a table row, a card, a microdata item, an hCard) they belong to.
//!
//! The walker (`extension/discover.js`) writes it; discovery (`crates/discovery`) turns it into
//! contacts. Documented for both halves in `docs/discovery.md`; a walker and a core of different
//! versions refuse each other's evidence instead of guessing.

use super::evidence_table::TableEvidence;
use serde::{Deserialize, Serialize};

/// The evidence layout this build writes. Version 2 added [`PageEvidence::tables`]; this build
/// reads versions 1 and 2.
pub const EVIDENCE_VERSION: u32 = 2;

/// Caps the walker keeps to, so a hostile or huge page costs bounded time and memory.
pub mod limits {
    /// Characters kept of one text run, label or heading.
    pub const TEXT: usize = 200;
    /// Fields sent for one page (a 5,000-row table of six columns fits).
    pub const FIELDS: usize = 40_000;
    /// Scopes sent for one page.
    pub const SCOPES: usize = 10_000;
    /// JSON-LD blocks, and characters of each.
    pub const JSON_LD: usize = 20;
    /// Characters of one JSON-LD block.
    pub const JSON_LD_TEXT: usize = 100_000;
    /// DOM nodes visited before the walker stops and says so.
    pub const NODES: usize = 300_000;
    /// Pager links sent for one page.
    pub const PAGER_LINKS: usize = 60;
}

/// Everything the walker saw on one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageEvidence {
    /// [`EVIDENCE_VERSION`] of the walker that wrote it.
    pub version: u32,
    /// The page's address (record URLs of detail pages, relative links resolved against it).
    pub url: String,
    /// `document.title`.
    #[serde(default)]
    pub title: String,
    /// `<html lang>`, a weak hint for the default region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Scope 0 is the page itself; fields point into this list.
    pub scopes: Vec<Scope>,
    /// Text runs, control values and links, in document order.
    pub fields: Vec<Field>,
    /// `<script type="application/ld+json">` texts, unparsed (discovery parses them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json_ld: Vec<String>,
    /// Set when the walker stopped early: a page too large or too deep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
    /// The links of the page's pagers, when it has any (a list's way to its next page; the
    /// bulk import follows it, see `crate::bulk_import::pagination`). Added within version 1:
    /// a walker without it sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pager: Option<Pager>,
    /// Set when the page's longest list grows as the user scrolls or presses its "Load more"
    /// (no pager leads to the rest): the popup offers to read it whole. Within version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_rows: Option<MoreRows>,
    /// Tables with column headers, sent compactly (version 2): their rows are scopes and their
    /// cells fields once [`PageEvidence::expanded`]; `scopes` and `fields` hold the rest, with
    /// indexes as in the expanded evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableEvidence>,
}

/// How a list shows more rows than it holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoreRows {
    /// Scrolling or a button.
    pub via: MoreVia,
    /// The rows the list held when the page was read.
    pub rows: u32,
}

/// What makes a list show more rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MoreVia {
    /// Scrolling it (infinite scroll, or a long list in a scrolling box).
    Scroll,
    /// Its "Load more" / "Show more" button.
    Button,
}

/// The links a page's pagers hold (`nav`, `.pagination`, `rel=next`, a recipe's `next`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pager {
    /// At most [`limits::PAGER_LINKS`], same-origin only, in document order (the recipe's
    /// and `rel=next` links first).
    pub links: Vec<PagerLink>,
    /// The page number the pager marks as the current one (`aria-current="page"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<u32>,
}

/// One link of a pager.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagerLink {
    /// Its absolute address (same origin as the page).
    pub href: String,
    /// Its text ("Next ›", "3", "»").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Its `aria-label` or `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `next` for `rel=next` links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// Found by the site recipe's `next` selector.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recipe: bool,
    /// Marked disabled (a "Next" on the last page).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// Marked as the current page.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub current: bool,
}

/// A part of the page that can hold one contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// What kind of part it is.
    pub kind: ScopeKind,
    /// The scope it sits in (a card inside a company page), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    /// Its title: the page's main heading, a card's heading or strong text, a row's first link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// Its record address: the page URL for the page, a row's or card's first record link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The microdata `itemtype` or hCard class, when the page declared one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
}

/// The kinds of [`Scope`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScopeKind {
    /// The whole page (scope 0).
    #[default]
    Page,
    /// A data row of a table with column headers.
    Row,
    /// One of several repeated siblings (list item, card, article).
    Card,
    /// A microdata item (`itemscope`).
    Item,
    /// An hCard / h-card.
    Vcard,
}

/// One value the walker saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// Index into [`PageEvidence::scopes`]. Left out in a table cell's fields, which take their
    /// row's (`crate::protocol::evidence_table`).
    #[serde(default)]
    pub scope: u32,
    /// The nearest label: `<label>`, `aria-label`, a `dt`, a column header, a preceding short
    /// text ("Phone:"), an `itemprop` or hCard class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The visible text, or the control's value / selected option.
    pub text: String,
    /// Where the value came from.
    pub source: FieldSource,
    /// For links: the target (`tel:+1…`, `mailto:…`, a messenger address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// For controls: `name`, `autocomplete` and `type`, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<String>,
    /// The text's element is a heading (`h1`–`h6`, `role=heading`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub heading: bool,
    /// The value sits in what people write rather than in a record's field: a comment, a
    /// note, a post, a quote, an editor (the walker tells by the markup around it), or a `tel:`
    /// link inside a sentence. Its numbers and names are never a contact's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prose: bool,
    /// The field this text sits in, when the text brought its own label: "Notes" around a
    /// line "Phone: …" typed into a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// Where a [`Field`] came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldSource {
    /// Page text.
    #[default]
    Text,
    /// An `input` (not hidden, not a password).
    Input,
    /// A `select`'s chosen option.
    Select,
    /// A `textarea`.
    Textarea,
    /// A `tel:` or `sms:` link (its number is in `href`).
    Tel,
    /// A `mailto:` link.
    Mailto,
    /// A messenger link (`wa.me`, `viber:`, `t.me`, …): its numbers are the messenger's, never
    /// taken as the contact's.
    Messenger,
    /// Microdata `itemprop` / hCard property text.
    Property,
}

/// People's phone numbers a page wrote without their country that discovery could not read
/// with the region it had to guess: the user should tell (options page, default country).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unplaced {
    /// How many numbers.
    pub numbers: usize,
    /// The region guessed (the options page's default, the page's or the browser's language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_region: Option<String>,
}

/// Numbers a page showed that did not become a contact's callable line, by reason (the
/// popup says why, so a user can tell a fault from a choice). Each number once, under its
/// first reason; numbers written without a country are [`Unplaced`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LeftOut {
    /// Labelled fax: kept on the contact as its fax, never offered as a line to call.
    pub fax: usize,
    /// Read as a phone number but labelled as something else (an order, invoice or tax
    /// number, an id).
    pub not_a_phone: usize,
    /// In a note, a comment or a message someone wrote.
    pub in_text: usize,
    /// No person's or company's name beside it to file it under.
    pub no_name: usize,
    /// Not a valid number in its country.
    pub invalid: usize,
}

/// Why a number did not become a callable line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOutReason {
    /// Labelled fax.
    Fax,
    /// Labelled as something else.
    NotAPhone,
    /// Written in a note or message.
    InText,
    /// No name beside it.
    NoName,
    /// Not a valid number.
    Invalid,
}

impl LeftOut {
    /// Whether any number was left out.
    pub fn any(&self) -> bool {
        self.total() > 0
    }

    /// How many numbers were left out.
    pub fn total(&self) -> usize {
        self.reasons().iter().map(|(_, n)| n).sum()
    }

    /// The reasons that left numbers out, with how many each, most likely to need the user
    /// first (a number the page showed without a name or that did not parse may be a fault).
    pub fn reasons(&self) -> Vec<(LeftOutReason, usize)> {
        [
            (LeftOutReason::NoName, self.no_name),
            (LeftOutReason::Invalid, self.invalid),
            (LeftOutReason::NotAPhone, self.not_a_phone),
            (LeftOutReason::InText, self.in_text),
            (LeftOutReason::Fax, self.fax),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// Why and where the walker stopped early.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Truncation {
    /// `nodes`, `fields`, `scopes` or `depth`.
    pub reason: String,
    /// How many nodes it had walked.
    pub scanned: u64,
}

impl PageEvidence {
    /// Whether this evidence can be read by this build (a layout version it reads, scope 0 the
    /// page, tables that fit, every field pointing at a scope, within the walker's limits),
    /// counted as it will be once its tables are expanded.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=EVIDENCE_VERSION).contains(&self.version) {
            return Err(format!(
                "page evidence version {} (this build reads 1 to {EVIDENCE_VERSION})",
                self.version
            ));
        }
        if self.scopes.first().map(|s| s.kind) != Some(ScopeKind::Page) {
            return Err("page evidence has no page scope".into());
        }
        let (scopes, fields) = self.check_tables()?;
        let pager_links = self.pager.as_ref().map_or(0, |p| p.links.len());
        if fields > limits::FIELDS || scopes > limits::SCOPES || pager_links > limits::PAGER_LINKS {
            return Err("page evidence is larger than the walker's limits".into());
        }
        if let Some(bad) = self.fields.iter().find(|f| f.scope as usize >= scopes) {
            return Err(format!("a field points at scope {} of {scopes}", bad.scope));
        }
        if let Some(bad) = self
            .scopes
            .iter()
            .find_map(|s| s.parent.filter(|&p| p as usize >= scopes))
        {
            return Err(format!("a scope's parent {bad} is not a scope"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_out_reasons_come_with_their_counts_those_that_may_be_faults_first() {
        let left = LeftOut {
            fax: 2,
            in_text: 1,
            no_name: 3,
            ..LeftOut::default()
        };
        assert_eq!(
            left.reasons(),
            [
                (LeftOutReason::NoName, 3),
                (LeftOutReason::InText, 1),
                (LeftOutReason::Fax, 2)
            ]
        );
        assert_eq!(left.total(), 6);
        assert!(!LeftOut::default().any());
    }

    fn page() -> PageEvidence {
        PageEvidence {
            version: EVIDENCE_VERSION,
            url: "https://crm.example.com/contacts/1".into(),
            scopes: vec![Scope::default()],
            fields: vec![Field {
                text: "Ada".into(),
                ..Field::default()
            }],
            ..PageEvidence::default()
        }
    }

    #[test]
    fn evidence_round_trips_in_the_walkers_json() {
        let json = r#"{"version":1,"url":"https://x.test/","scopes":[{"kind":"page","heading":"Ada"},
            {"kind":"row","parent":0,"link":"https://x.test/c/1"}],
            "fields":[{"scope":1,"label":"Phone","text":"030 1234567","source":"text"},
            {"scope":1,"text":"WhatsApp","source":"messenger","href":"https://wa.me/49301234567"}]}"#;
        let evidence: PageEvidence = serde_json::from_str(json).unwrap();
        assert_eq!(evidence.check(), Ok(()));
        assert_eq!(evidence.scopes[1].kind, ScopeKind::Row);
        assert_eq!(evidence.fields[1].source, FieldSource::Messenger);
        let again: PageEvidence =
            serde_json::from_value(serde_json::to_value(&evidence).unwrap()).unwrap();
        assert_eq!(again, evidence);
    }

    #[test]
    fn evidence_of_another_version_or_shape_is_refused() {
        assert_eq!(page().check(), Ok(()));
        let mut newer = page();
        newer.version = 3;
        assert!(newer.check().unwrap_err().contains("version 3"));
        let mut dangling = page();
        dangling.fields[0].scope = 3;
        assert!(dangling.check().unwrap_err().contains("scope 3"));
        let mut headless = page();
        headless.scopes.clear();
        assert!(headless.check().is_err());
    }
}
