//! What a user configures per site beyond switching it on: the do-not-contact list and the
//! fields of the call-log form.
//!
//! The options page edits both as plain text (one entry per line), so an admin can paste a
//! list from a spreadsheet; [`SiteOptionsText`] is that text, parsed here and refused whole with
//! the line that is wrong, never half-applied.

use super::recipe::Recipe;
use crate::logging::webhook::Webhook;
use crate::phone::{match_key, same_line};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::fmt;

/// At most this many do-not-contact entries per site (a pasted list, not a CRM export).
pub const MAX_DO_NOT_CONTACT: usize = 10_000;
/// At most this many fields on a call-log form.
pub const MAX_LOG_FIELDS: usize = 20;
/// At most this many "keep only" pages per site.
pub const MAX_KEEP_ONLY: usize = 50;

/// The id of the note field every call-log form ends with (the widget's own log form has it).
pub const NOTE_FIELD: &str = "note";

/// The per-site options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SiteOptions {
    /// Numbers this site's people asked not to be called or texted.
    pub do_not_contact: DoNotContactList,
    /// Extra fields of the call-log form (disposition, follow-up, …); empty = the widget's own.
    pub log_form: Vec<LogField>,
    /// Where this site's pages show contacts, when the generic detectors need help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe: Option<Recipe>,
    /// Where this site's call and message logs are delivered, besides the journal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
    /// For teams that must not copy the whole CRM into every browser: new contacts are kept
    /// only from pages under these paths (`/lists/vip`, `/contacts?owner=me`); contacts
    /// already kept are still updated wherever they are seen. Empty: every page.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep_only: Vec<String>,
    /// The country of the numbers this site's pages write without a country code (ISO 3166
    /// alpha-2), when the record itself does not say it: a French CRM opened in a browser set
    /// to English. Before the options page's default for every site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A site's do-not-contact list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DoNotContactList {
    /// `true`: the widget blocks the call or text; `false`: it asks the user to confirm.
    pub restrict: bool,
    /// The listed numbers.
    pub entries: Vec<DoNotContactEntry>,
}

/// One listed number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DoNotContactEntry {
    /// As the user typed it (E.164, or national without a country code).
    pub number: String,
    /// Why, shown to the user in the widget.
    pub reason: String,
}

/// One field of the call-log form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogField {
    /// Key in the form data the widget sends back.
    pub id: String,
    /// Shown above the field.
    pub label: String,
    /// What the user enters.
    pub kind: FieldKind,
    /// The form cannot be saved without it.
    #[serde(default)]
    pub required: bool,
}

/// The kinds of log-form fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines (notes).
    LongText,
    /// One of a list (a disposition).
    Choice {
        /// The choices, in order.
        options: Vec<String>,
    },
    /// Yes or no (follow-up needed).
    Checkbox,
}

/// The options as the options page edits them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SiteOptionsText {
    /// One number per line, optionally followed by a comma and the reason.
    pub do_not_contact: String,
    /// Block instead of asking.
    pub restrict: bool,
    /// One field per line: `Label`, `Label*` (required), `Label: a | b | c` (choice),
    /// `Label [x]` (checkbox), `Label [long]` (several lines).
    pub log_form: String,
    /// The site's recipe as JSON text (`docs/recipes.md`); empty = none.
    #[serde(default)]
    pub recipe: String,
    /// The webhook for this site's logs; an empty URL = none.
    #[serde(default)]
    pub webhook: Webhook,
    /// Pages new contacts are kept from, one path or address per line; empty = every page.
    #[serde(default)]
    pub keep_only: String,
    /// The site's country of numbers written without one, two letters; empty = the default.
    #[serde(default)]
    pub country: String,
}

/// A line the options page cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteOptionsError(pub String);

impl fmt::Display for SiteOptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SiteOptionsText {
    /// Parses both lists; the first wrong line refuses the whole change.
    pub fn parse(&self) -> Result<SiteOptions, SiteOptionsError> {
        Ok(SiteOptions {
            do_not_contact: DoNotContactList {
                restrict: self.restrict,
                entries: parse_do_not_contact(&self.do_not_contact)?,
            },
            log_form: parse_log_form(&self.log_form)?,
            recipe: Recipe::parse(&self.recipe).map_err(SiteOptionsError)?,
            webhook: match self.webhook.url.trim().is_empty() {
                true => None,
                false => Some(self.webhook.clone().validated().map_err(SiteOptionsError)?),
            },
            keep_only: parse_keep_only(&self.keep_only)?,
            country: parse_country(&self.country)?,
        })
    }
}

impl SiteOptions {
    /// The text the options page shows for these options (parses back to the same options).
    pub fn to_text(&self) -> SiteOptionsText {
        let do_not_contact = self
            .do_not_contact
            .entries
            .iter()
            .map(|e| match e.reason.is_empty() {
                true => e.number.clone(),
                false => format!("{}, {}", e.number, e.reason),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let log_form = self
            .log_form
            .iter()
            .filter(|f| f.id != NOTE_FIELD)
            .map(LogField::to_line)
            .collect::<Vec<_>>()
            .join("\n");
        SiteOptionsText {
            do_not_contact,
            restrict: self.do_not_contact.restrict,
            log_form,
            recipe: self
                .recipe
                .as_ref()
                .and_then(|r| serde_json::to_string_pretty(r).ok())
                .unwrap_or_default(),
            webhook: self.webhook.clone().unwrap_or_default(),
            keep_only: self.keep_only.join("\n"),
            country: self.country.clone().unwrap_or_default(),
        }
    }

    /// Whether contacts new to the store may be kept from the page at `page_url` (the
    /// "keep only" pages; every page when there are none).
    pub fn keeps_new_from(&self, page_url: &str) -> bool {
        if self.keep_only.is_empty() {
            return true;
        }
        let Ok(page) = crate::url::WebUrl::parse(page_url) else {
            return false;
        };
        let rest = page.rest().split('#').next().unwrap_or_default();
        let rest = if rest.is_empty() { "/" } else { rest };
        self.keep_only.iter().any(|prefix| {
            rest.strip_prefix(prefix.as_str()).is_some_and(|after| {
                after.is_empty()
                    || prefix.ends_with(['/', '?', '&'])
                    || after.starts_with(['/', '?', '&'])
            })
        })
    }

    /// Whether nothing is configured (the site's options can be dropped).
    pub fn is_empty(&self) -> bool {
        self.do_not_contact.entries.is_empty()
            && self.log_form.is_empty()
            && self.recipe.is_none()
            && self.webhook.is_none()
            && self.keep_only.is_empty()
            && self.country.is_none()
    }

    /// The first listed entry that is the same line as `number`.
    pub fn listed(&self, number: &str) -> Option<&DoNotContactEntry> {
        self.do_not_contact
            .entries
            .iter()
            .find(|entry| same_line(&entry.number, number))
    }

    /// This site's own call-log page (protocol.md §8.3) for a call, pre-filled with
    /// `form_data`; `None` when the site has no form of its own (see [`note_only_log_page`]).
    pub fn log_page(&self, title: &str, form_data: &Map<String, Value>) -> Option<Value> {
        (!self.log_form.is_empty()).then(|| log_page_of(&self.log_form, title, form_data))
    }
}

/// The call-log page of a site without its own form: the note alone, so "Log" still lets the
/// user write what the call was about before it is logged.
pub fn note_only_log_page(title: &str, form_data: &Map<String, Value>) -> Value {
    log_page_of(&[note_field()], title, form_data)
}

/// The note field every call-log page ends with (the widget's own log page has one too).
fn note_field() -> LogField {
    LogField {
        id: NOTE_FIELD.into(),
        label: "Note".into(),
        kind: FieldKind::LongText,
        required: false,
    }
}

/// A call-log page (docs/protocol.md §8.3) with these fields in this order, pre-filled with the
/// values of `form_data` that belong to them. The widget renders it with react-jsonschema-form,
/// which orders fields by `ui:order` (object keys alone would come out sorted).
fn log_page_of(fields: &[LogField], title: &str, form_data: &Map<String, Value>) -> Value {
    let mut properties = Map::new();
    let mut ui_schema = Map::new();
    let mut required = Vec::new();
    let mut order = Vec::new();
    let mut filled = Map::new();
    for field in fields {
        let (schema, ui) = field.schema();
        properties.insert(field.id.clone(), schema);
        if let Some(ui) = ui {
            ui_schema.insert(field.id.clone(), ui);
        }
        if field.required {
            required.push(field.id.clone());
        }
        if let Some(value) = form_data.get(&field.id) {
            filled.insert(field.id.clone(), value.clone());
        }
        order.push(Value::from(field.id.clone()));
    }
    ui_schema.insert("ui:order".into(), Value::Array(order));
    json!({
        "title": title,
        "schema": { "type": "object", "required": required, "properties": properties },
        "uiSchema": ui_schema,
        "formData": filled,
    })
}

impl LogField {
    fn to_line(&self) -> String {
        let star = if self.required { "*" } else { "" };
        match &self.kind {
            FieldKind::Text => format!("{}{star}", self.label),
            FieldKind::LongText => format!("{}{star} [long]", self.label),
            FieldKind::Checkbox => format!("{}{star} [x]", self.label),
            FieldKind::Choice { options } => {
                format!("{}{star}: {}", self.label, options.join(" | "))
            }
        }
    }

    /// The JSON-schema property and the optional uiSchema entry (the widget renders
    /// react-jsonschema-form style pages).
    fn schema(&self) -> (Value, Option<Value>) {
        match &self.kind {
            FieldKind::Text => (json!({ "type": "string", "title": self.label }), None),
            FieldKind::LongText => (
                json!({ "type": "string", "title": self.label }),
                Some(json!({ "ui:widget": "textarea" })),
            ),
            FieldKind::Checkbox => (json!({ "type": "boolean", "title": self.label }), None),
            FieldKind::Choice { options } => (
                json!({ "type": "string", "title": self.label, "enum": options }),
                None,
            ),
        }
    }
}

/// The "keep only" lines: paths (`/lists/vip`, `/contacts?owner=me`) or page addresses of the
/// site (their path and query are kept).
/// A country code as typed ("de", " FR "), upper-cased; empty is none.
pub fn parse_country(text: &str) -> Result<Option<String>, SiteOptionsError> {
    let code = text.trim().to_ascii_uppercase();
    match code.len() {
        0 => Ok(None),
        _ if is_country_code(&code) => Ok(Some(code)),
        _ => Err(SiteOptionsError(format!(
            "country \"{}\" is not a two-letter country code such as DE or US",
            text.trim().chars().take(20).collect::<String>()
        ))),
    }
}

/// Whether `code` is written as settings store a country: two capital letters (ISO 3166 alpha-2).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())
}

fn parse_keep_only(text: &str) -> Result<Vec<String>, SiteOptionsError> {
    let mut paths: Vec<String> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let wrong = |why: &str| SiteOptionsError(format!("keep only, line {}: {why}", number + 1));
        let path = if line.starts_with('/') && !line.starts_with("//") {
            line.to_owned()
        } else {
            let url = crate::url::WebUrl::parse(line)
                .map_err(|_| wrong("give a path such as /lists/vip, or a page address"))?;
            match url.rest().split('#').next().unwrap_or_default() {
                "" => "/".to_owned(),
                rest => rest.to_owned(),
            }
        };
        if path.chars().count() > 300 {
            return Err(wrong("longer than 300 characters"));
        }
        if !paths.contains(&path) {
            paths.push(path);
        }
        if paths.len() > MAX_KEEP_ONLY {
            return Err(wrong(&format!("more than {MAX_KEEP_ONLY} pages")));
        }
    }
    Ok(paths)
}

fn parse_do_not_contact(text: &str) -> Result<Vec<DoNotContactEntry>, SiteOptionsError> {
    let mut entries: Vec<DoNotContactEntry> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (number, reason) = match line.split_once([',', ';', '\t']) {
            Some((number, reason)) => (number.trim(), reason.trim()),
            None => (line, ""),
        };
        let digits = match_key(number).len();
        let plausible = number
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().x/".contains(c) || c.is_ascii_alphabetic());
        if !(6..=17).contains(&digits) || !plausible {
            return Err(SiteOptionsError(format!(
                "do-not-contact line {}: \"{}\" is not a phone number (write one number per \
                 line, then a comma and the reason if you like)",
                index + 1,
                cut(number, 60)
            )));
        }
        if entries
            .iter()
            .any(|e| match_key(&e.number) == match_key(number))
        {
            continue;
        }
        entries.push(DoNotContactEntry {
            number: number.to_owned(),
            reason: cut(reason, 200),
        });
    }
    if entries.len() > MAX_DO_NOT_CONTACT {
        return Err(SiteOptionsError(format!(
            "the do-not-contact list has {} numbers; at most {MAX_DO_NOT_CONTACT} per site",
            entries.len()
        )));
    }
    Ok(entries)
}

fn parse_log_form(text: &str) -> Result<Vec<LogField>, SiteOptionsError> {
    let mut fields: Vec<LogField> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let wrong = |why: &str| {
            Err(SiteOptionsError(format!(
                "call-log form line {}: {why}",
                index + 1
            )))
        };
        let (head, kind) = if let Some((label, options)) = line.split_once(':') {
            let options: Vec<String> = options
                .split('|')
                .map(|o| cut(o.trim(), 80))
                .filter(|o| !o.is_empty())
                .collect();
            if options.len() < 2 {
                return wrong("a choice needs at least two options, separated by |");
            }
            (label.trim(), FieldKind::Choice { options })
        } else if let Some(label) = line.strip_suffix("[x]") {
            (label.trim(), FieldKind::Checkbox)
        } else if let Some(label) = line.strip_suffix("[long]") {
            (label.trim(), FieldKind::LongText)
        } else {
            (line, FieldKind::Text)
        };
        let (label, required) = match head.strip_suffix('*') {
            Some(label) => (label.trim(), true),
            None => (head, false),
        };
        if label.is_empty() {
            return wrong("the field has no name");
        }
        let id = field_id(label, fields.len());
        if id == NOTE_FIELD || fields.iter().any(|f| f.id == id) {
            return wrong(&format!(
                "\"{label}\" is there twice (the note field is always added)"
            ));
        }
        fields.push(LogField {
            id,
            label: cut(label, 80),
            kind,
            required,
        });
    }
    if fields.len() > MAX_LOG_FIELDS {
        return Err(SiteOptionsError(format!(
            "the call-log form has {} fields; at most {MAX_LOG_FIELDS}",
            fields.len()
        )));
    }
    if !fields.is_empty() {
        fields.push(note_field());
    }
    Ok(fields)
}

/// A stable form key from a label: `Follow-up needed?` → `followUpNeeded`; labels without
/// Latin letters or digits get `field<n>`.
fn field_id(label: &str, index: usize) -> String {
    let mut id = String::new();
    let mut upper = false;
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            if id.is_empty() {
                id.extend(c.to_lowercase());
            } else if upper {
                id.extend(c.to_uppercase());
            } else {
                id.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("field{}", index + 1)
    } else {
        id
    }
}

fn cut(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(dnc: &str, form: &str) -> SiteOptionsText {
        SiteOptionsText {
            do_not_contact: dnc.into(),
            restrict: true,
            log_form: form.into(),
            recipe: String::new(),
            webhook: Default::default(),
            keep_only: String::new(),
            country: String::new(),
        }
    }

    #[test]
    fn a_sites_country_is_two_letters_as_typed_or_none() {
        let mut with = text("", "");
        with.country = " fr ".into();
        let options = with.parse().unwrap();
        assert_eq!(options.country.as_deref(), Some("FR"));
        assert!(!options.is_empty(), "a country alone is kept");
        assert_eq!(options.to_text().parse().unwrap(), options, "round trip");
        assert_eq!(text("", "").parse().unwrap().country, None);
        for bad in ["France", "F", "1A", "ÉS"] {
            with.country = bad.into();
            let err = with.parse().unwrap_err().to_string();
            assert!(err.starts_with("country \""), "{bad}: {err}");
        }
    }

    #[test]
    fn keep_only_pages_take_paths_and_addresses_and_match_whole_path_steps() {
        let mut with = text("", "");
        with.keep_only =
            "/lists/vip\n\nhttps://crm.example.com/contacts?owner=me#top\n/lists/vip".into();
        let options = with.parse().unwrap();
        assert_eq!(options.keep_only, ["/lists/vip", "/contacts?owner=me"]);
        assert_eq!(options.to_text().parse().unwrap(), options, "round trip");
        assert!(!options.is_empty());
        for (page, kept) in [
            ("https://crm.example.com/lists/vip", true),
            ("https://crm.example.com/lists/vip?page=2", true),
            ("https://crm.example.com/lists/vip/people/7", true),
            ("https://crm.example.com/lists/vipers", false),
            ("https://crm.example.com/contacts?owner=me&page=3", true),
            ("https://crm.example.com/contacts?owner=you", false),
            ("https://crm.example.com/contacts", false),
        ] {
            assert_eq!(options.keeps_new_from(page), kept, "{page}");
        }
        assert!(SiteOptions::default().keeps_new_from("https://crm.example.com/anything"));
        let mut wrong = text("", "");
        wrong.keep_only = "/ok\nvip list".into();
        let err = wrong.parse().unwrap_err().to_string();
        assert!(err.contains("keep only, line 2"), "{err}");
    }

    #[test]
    fn do_not_contact_lines_keep_number_and_reason() {
        let options = text(
            "+1 206 555 0147, asked on 3 March\n\n(650) 555-0100\n+12065550147, again",
            "",
        )
        .parse()
        .unwrap();
        let entries = &options.do_not_contact.entries;
        assert_eq!(entries.len(), 2, "the repeated number is kept once");
        assert_eq!(entries[0].reason, "asked on 3 March");
        assert_eq!(entries[1].number, "(650) 555-0100");
        assert_eq!(options.to_text().parse().unwrap(), options, "round trip");
    }

    #[test]
    fn a_wrong_line_refuses_the_whole_list_and_names_the_line() {
        for (bad, line) in [
            ("+12065550147\nJane Roe", 2),
            ("123", 1),
            ("<img src=x onerror=alert(1)>", 1),
        ] {
            let err = text(bad, "").parse().unwrap_err();
            assert!(err.0.contains(&format!("line {line}")), "{bad}: {err}");
        }
    }

    #[test]
    fn listed_numbers_match_the_forms_the_widget_sends() {
        let options = text("(206) 555-0147, national\n+44 20 7946 0018", "")
            .parse()
            .unwrap();
        assert!(options.listed("+12065550147").is_some());
        assert!(options.listed("+442079460018").is_some());
        assert!(options.listed("+12065550148").is_none());
        assert!(
            options.listed("+3312065550147").is_some(),
            "a national entry matches by its digits"
        );
        assert!(
            options.listed("+4520794600180").is_none(),
            "an entry with a country code matches exactly"
        );
    }

    #[test]
    fn log_form_lines_become_fields_and_a_page() {
        let options = text(
            "",
            "Disposition*: Interested | Not interested | Call back\nFollow-up needed? [x]\nNext step [long]\nTicket",
        )
        .parse()
        .unwrap();
        let ids: Vec<&str> = options.log_form.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "disposition",
                "followUpNeeded",
                "nextStep",
                "ticket",
                "note"
            ]
        );
        let page = options
            .log_page("Log call", &Map::new())
            .expect("a custom page");
        assert_eq!(page["schema"]["required"], json!(["disposition"]));
        assert_eq!(
            page["schema"]["properties"]["disposition"]["enum"],
            json!(["Interested", "Not interested", "Call back"])
        );
        assert_eq!(
            page["schema"]["properties"]["followUpNeeded"]["type"],
            "boolean"
        );
        assert_eq!(page["uiSchema"]["note"]["ui:widget"], "textarea");
        assert_eq!(
            page["uiSchema"]["ui:order"],
            json!(ids),
            "the order the user wrote, the note last"
        );
        assert_eq!(options.to_text().parse().unwrap(), options, "round trip");
        assert!(SiteOptions::default().log_page("x", &Map::new()).is_none());
    }

    #[test]
    fn a_log_page_is_pre_filled_with_the_values_of_its_own_fields() {
        let options = text(
            "",
            "Disposition*: Call back | Other\nFollow-up needed [x]\nSubject",
        )
        .parse()
        .unwrap();
        let saved = json!({ "disposition": "Call back", "followUpNeeded": true,
                            "subject": "Q3 order", "note": "n", "removedField": "x" });
        let page = options
            .log_page("Log call", saved.as_object().unwrap())
            .unwrap();
        assert_eq!(
            page["formData"],
            json!({ "disposition": "Call back", "followUpNeeded": true,
                    "subject": "Q3 order", "note": "n" }),
            "a field no longer in the form is left out"
        );
        assert_eq!(
            page["uiSchema"]["ui:order"],
            json!(["disposition", "followUpNeeded", "subject", "note"])
        );
    }

    #[test]
    fn bad_form_lines_are_refused() {
        for bad in ["Disposition: only one", "*", "Note", "A\nA"] {
            assert!(text("", bad).parse().is_err(), "{bad}");
        }
        assert_eq!(field_id("Статус", 2), "field3");
    }
}
