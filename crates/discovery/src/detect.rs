//! The generic detector: each evidence scope (the page, a row, a card, an item) becomes at most
//! one contact, when it shows a name and at least one valid phone number.
//!
//! Which values count as phones is decided by how sure the evidence is:
//! - a `tel:` link, or a value labelled as a phone (label, column header, control hints,
//!   `itemprop`), is taken when libphonenumber calls it valid;
//! - an unlabelled value is taken only inside a row, card or item, and only when it is written
//!   the way phone numbers are (with `+`, brackets or grouped digits), never on the page at large,
//!   where numbers belong to headers, banners and footers;
//! - a value labelled as an id, date, amount or code, and anything in a messenger link, never.

use crate::identity::{hash_route, record_id};
use crate::labels::{hint_role, is_label, role, PhoneKind, Role};
use crate::numbers::{candidates, grouped_as_in, read, written_as_north_american};
use crate::prose::reads_as_prose;
use crate::regions::{country_region, locale_region};
use crm_bridge::contacts::search::fold;
use crm_bridge::contacts::{Contact, ContactPhone};
use crm_bridge::protocol::evidence::{Field, FieldSource, LeftOut, PageEvidence, ScopeKind};
use crm_bridge::url::WebUrl;
use std::collections::BTreeSet;

/// What discovery knows besides the page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Context {
    /// The site's default region (options page), ISO 3166 alpha-2.
    pub default_region: Option<String>,
    /// The browser's language (`navigator.language`): the last guess for a region.
    pub locale: Option<String>,
    /// Now, in ms since the epoch (stamped on each contact as `seenAt`).
    pub now_ms: f64,
}

/// What one scope showed.
#[derive(Default)]
struct Facts {
    name: Option<String>,
    first: Option<String>,
    last: Option<String>,
    company: Option<String>,
    job_title: Option<String>,
    emails: Vec<String>,
    region: Option<String>,
    /// (raw text, kind, display, written with its country)
    phones: Vec<(String, PhoneKind, String)>,
    international_region: Option<String>,
    /// Phone-like runs under a label that says they are something else.
    labelled_otherwise: Vec<String>,
    /// Phone-like runs in what people wrote (notes, messages).
    in_text: Vec<String>,
}

/// Runs per page checked for the "left out" counts (each a libphonenumber read): enough to
/// tell a user why, bounded so a page of notes costs little.
const LEFT_OUT_CHECKED: usize = 200;

/// The digits of a number as written: the same number as text and as a `tel:` link is one.
fn digits_of(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

/// Numbers libphonenumber checks for one page at most: each costs ≈0.1–0.3 ms, and the module
/// runs in the background worker, which must stay free to answer the widget. A page with more
/// (a list of 200,000 numbers) is read up to here and reported as cut short.
pub const MAX_NUMBERS_PER_PAGE: usize = 8_000;

/// The contacts the evidence shows (ids local to the site), and whether the number budget ran
/// out before the end of the page.
pub fn detect(evidence: &PageEvidence, context: &Context) -> Detected {
    let scopes = evidence.scopes.len();
    let mut by_scope: Vec<Vec<&Field>> = vec![Vec::new(); scopes];
    for field in &evidence.fields {
        by_scope[field.scope as usize].push(field);
    }
    // A scope without a name of its own (a field row of a record page, a line inside a card)
    // gives its fields to the scope around it. Children come after their parents, so walking
    // backwards folds nested levels in one pass.
    for i in (1..scopes).rev() {
        let scope = &evidence.scopes[i];
        let parent = scope.parent.map_or(0, |p| p as usize);
        if parent < i && !names_itself(scope.heading.as_deref(), &by_scope[i]) {
            let moved = std::mem::take(&mut by_scope[i]);
            by_scope[parent].extend(moved);
        }
    }
    let mut facts: Vec<Facts> = by_scope
        .iter()
        .enumerate()
        .map(|(i, fields)| gather(fields, evidence.scopes[i].kind))
        .collect();
    // Region: the scope's own country or address, a sibling number written with its country,
    // then the same from the enclosing scopes, then the record's one country wherever the page
    // shows it (an address block beside the phones), then the site's default, the page's
    // language and the browser's.
    let page_is_record = record_id(&evidence.url).is_some();
    let record_region = page_is_record
        .then(|| record_region(evidence, &facts))
        .flatten();
    let fallback = context
        .default_region
        .clone()
        .or_else(|| page_language_region(evidence.lang.as_deref(), context.locale.as_deref()));
    // Each scope's region, and whether the page said it (`true`) or it is the fallback guess.
    let regions: Vec<(Option<String>, bool)> = (0..scopes)
        .map(|i| {
            let mut at = Some(i);
            let mut hops = 0;
            while let Some(scope) = at {
                let f = &facts[scope];
                if let Some(region) = f.region.clone().or_else(|| f.international_region.clone()) {
                    return (Some(region), true);
                }
                at = evidence.scopes[scope]
                    .parent
                    .map(|p| p as usize)
                    .filter(|&p| p != scope);
                hops += 1;
                if hops > 16 {
                    break;
                }
            }
            match &record_region {
                Some(region) => (Some(region.clone()), true),
                None => (fallback.clone(), false),
            }
        })
        .collect();
    let mut unplaced = 0;
    let mut left = LeftOutRuns::default();
    let mut found: Vec<(usize, Contact)> = Vec::new();
    let mut budget = MAX_NUMBERS_PER_PAGE;
    let mut cut_short = false;
    for (i, scope) in evidence.scopes.iter().enumerate() {
        let f = &mut facts[i];
        if f.phones.len() > budget {
            cut_short = true;
            break;
        }
        budget -= f.phones.len();
        let (region, page_said) = &regions[i];
        if !page_said {
            // The page did not say the country. A national number the guessed region cannot
            // read, or grouped as another country groups its numbers, is left out rather than
            // read as a wrong local one; a person's such numbers are counted (popup hint), a
            // number shown as text and as a `tel:` link once.
            let guess = region.as_deref();
            // Written as only North America writes them: read as +1, whatever the guess.
            for (raw, _, _) in &mut f.phones {
                let north_american = written_as_north_american(raw)
                    && !read(raw, guess).is_some_and(|n| n.e164.starts_with("+1"))
                    && read(raw, Some("US")).is_some();
                if north_american {
                    *raw = format!("+1 {raw}");
                }
            }
            let misfit =
                |raw: &str| is_national(raw) && guess.is_some_and(|g| !grouped_as_in(raw, g));
            if f.name.is_some() || f.first.is_some() || f.last.is_some() {
                let mut missed: Vec<String> = f
                    .phones
                    .iter()
                    .filter(|(raw, _, _)| {
                        is_national(raw) && (misfit(raw) || read(raw, guess).is_none())
                    })
                    .map(|(raw, _, _)| raw.chars().filter(char::is_ascii_digit).collect())
                    .collect();
                missed.sort_unstable();
                missed.dedup();
                unplaced += missed.len();
            }
            f.phones.retain(|(raw, _, _)| !misfit(raw));
        }
        left.note_suspects(f, region.as_deref());
        let ReadNumbers {
            lines: numbers,
            readable,
            unreadable,
        } = valid_numbers(&f.phones, region.as_deref());
        // Unreadable: not valid where the page said it is (a guessed country's misses are
        // counted as unplaced above).
        for raw in unreadable {
            if *page_said || !is_national(&raw) {
                left.invalid.insert(digits_of(&raw));
            }
        }
        if numbers.is_empty() {
            continue;
        }
        let is_page = scope.kind == ScopeKind::Page;
        // "Nom" and "Prénom", "Name" and "Vorname": a name beside a first name it does not
        // hold is the family name.
        if let (None, Some(first), Some(name)) = (&f.last, &f.first, &f.name) {
            if !fold(name).contains(&fold(first)) {
                f.last = f.name.take();
            }
        }
        let joined = match (&f.first, &f.last) {
            (Some(first), Some(last)) => Some(join_name(first, last)),
            (Some(one), None) | (None, Some(one)) if f.name.is_none() => Some(one.clone()),
            _ => None,
        };
        let heading = scope
            .heading
            .clone()
            .filter(|_| !is_page || page_is_record)
            .map(|h| heading_without_status(h, &by_scope[i]));
        // A record page without a heading of its own names its record in the window title.
        let titled = (is_page && page_is_record)
            .then(|| title_name(&evidence.title, &by_scope[0], joined.as_deref()))
            .flatten();
        // A record page without a main heading: its first heading that reads as a name
        // (Freshsales draws the record's name as an h2).
        let first_heading = || {
            by_scope[0]
                .iter()
                .filter(|f| f.heading && !f.prose)
                .find_map(|f| clean_name(&f.text))
        };
        let Some(name) = titled
            .or_else(|| f.name.take())
            .or(joined)
            .or(heading)
            .and_then(|n| clean_name(&n))
            .or_else(|| (is_page && page_is_record).then(first_heading).flatten())
        else {
            left.no_name
                .extend(f.phones.iter().map(|(raw, _, _)| digits_of(raw)));
            continue;
        };
        left.used.extend(readable);
        left.fax += numbers.iter().filter(|n| n.phone_type == "fax").count();
        // A link to another origin (user content: a comment, a JSON-LD `url`) names no record
        // of this site, so it gives neither an identity nor a record URL.
        let link = if is_page {
            Some(evidence.url.clone())
        } else {
            scope
                .link
                .clone()
                .filter(|link| same_origin(link, &evidence.url))
        };
        let record = link.as_deref().and_then(record_id);
        let id = record.clone().unwrap_or_else(|| {
            let digits: String = numbers[0]
                .phone_number
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            format!("seen:{}:{digits}", fold(&name))
        });
        found.push((
            i,
            Contact {
                id,
                name,
                phone_numbers: numbers,
                emails: std::mem::take(&mut f.emails),
                company: f.company.take(),
                job_title: f.job_title.take(),
                record_url: record.and(link).map(|l| strip_hash_noise(&l)),
                partial: !is_page,
                seen_at: Some(context.now_ms).filter(|t| *t > 0.0),
                ..Contact::default()
            },
        ));
    }
    // People listed on a company's record page work there.
    if let Some(page) = found
        .iter()
        .find(|(i, _)| *i == 0)
        .map(|(_, c)| c.name.clone())
    {
        for (i, contact) in found.iter_mut() {
            if *i != 0
                && contact.company.is_none()
                && evidence.scopes[*i].parent == Some(0)
                && page_is_record
            {
                contact.company = Some(page.clone());
            }
        }
    }
    Detected {
        contacts: merge_same_ids(found.into_iter().map(|(_, c)| c).collect()),
        cut_short,
        unplaced,
        assumed_region: fallback,
        left_out: left.counts(),
    }
}

/// The numbers left out so far, as digit strings by reason.
#[derive(Default)]
struct LeftOutRuns {
    used: BTreeSet<String>,
    fax: usize,
    labelled_otherwise: BTreeSet<String>,
    in_text: BTreeSet<String>,
    no_name: BTreeSet<String>,
    invalid: BTreeSet<String>,
    checked: usize,
}

impl LeftOutRuns {
    /// Keeps the runs of `facts` that read as phone numbers in `region` but were not taken as
    /// such (a label said otherwise, or someone wrote them in a note).
    fn note_suspects(&mut self, facts: &Facts, region: Option<&str>) {
        for (runs, into) in [
            (&facts.labelled_otherwise, &mut self.labelled_otherwise),
            (&facts.in_text, &mut self.in_text),
        ] {
            for raw in runs {
                if self.checked >= LEFT_OUT_CHECKED {
                    return;
                }
                self.checked += 1;
                if read(raw, region).is_some() {
                    into.insert(digits_of(raw));
                }
            }
        }
    }

    /// Each number once, under its first reason; none that a contact holds.
    fn counts(self) -> LeftOut {
        let mut seen = self.used;
        let mut count = |set: BTreeSet<String>| {
            let new: Vec<String> = set.into_iter().filter(|d| !seen.contains(d)).collect();
            let n = new.len();
            seen.extend(new);
            n
        };
        let not_a_phone = count(self.labelled_otherwise);
        let in_text = count(self.in_text);
        let no_name = count(self.no_name);
        let invalid = count(self.invalid);
        LeftOut {
            fax: self.fax,
            not_a_phone,
            in_text,
            no_name,
            invalid,
        }
    }
}

/// A heading that adds a status after the record's name ("Thornbury Joinery Ltd - Saved",
/// Dynamics 365) shortened to the name its own name or company field holds.
fn heading_without_status(heading: String, fields: &[&Field]) -> String {
    let named = fields
        .iter()
        .filter(|f| matches!(field_role(f), Some(Role::Name | Role::Company)))
        .map(|f| f.text.trim())
        .find(|text| {
            !text.is_empty()
                && heading.strip_prefix(text).is_some_and(|rest| {
                    [" - ", " – ", " | ", " · "]
                        .iter()
                        .any(|sep| rest.starts_with(sep))
                })
        });
    named.map(str::to_owned).unwrap_or(heading)
}

/// The one country a record page shows outside its list rows (an address block, a country
/// field in a section of its own), or None when it shows none or several.
fn record_region(evidence: &PageEvidence, facts: &[Facts]) -> Option<String> {
    let mut shown = evidence
        .scopes
        .iter()
        .zip(facts)
        .filter(|(scope, _)| scope.kind != ScopeKind::Row)
        .filter_map(|(_, f)| f.region.as_deref());
    let first = shown.next()?;
    shown.all(|r| r == first).then(|| first.to_owned())
}

/// The region the page's language says, unless it is a bare `en`: the boilerplate of countless
/// templates and apps (Tryton's writes it whatever the user's language), so the browser's
/// language, when it names a country, says more.
fn page_language_region(page: Option<&str>, browser: Option<&str>) -> Option<String> {
    let browser_region = browser
        .filter(|tag| tag.contains(['-', '_']))
        .and_then(locale_region);
    let page_region = page.and_then(|tag| {
        let bare_english = tag.trim().eq_ignore_ascii_case("en");
        if bare_english && browser_region.is_some() {
            None
        } else {
            locale_region(tag)
        }
    });
    page_region
        .or(browser_region)
        .or_else(|| browser.and_then(locale_region))
        .map(str::to_owned)
}

/// What [`detect`] found on a page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detected {
    /// The contacts, merged by id.
    pub contacts: Vec<Contact>,
    /// The page had more phone-like runs than are read.
    pub cut_short: bool,
    /// People's numbers written without a country that the guessed region could not read.
    pub unplaced: usize,
    /// The region guessed for numbers the page did not place (default, page or browser).
    pub assumed_region: Option<String>,
    /// The other numbers that did not become a callable line, by reason.
    pub left_out: LeftOut,
}

/// The record's name in a window title ("Ava Thompson - Crème", "Edit «Ava Thompson» - CRM",
/// "CRM | Ava Thompson"), when the page shows the same name too (as a text, whatever its
/// case, or as its first and last name fields): a title part alone may be the site's name.
fn title_name(title: &str, fields: &[&Field], joined: Option<&str>) -> Option<String> {
    let shown: std::collections::HashSet<String> = fields
        .iter()
        .filter(|f| !f.prose && f.source != FieldSource::Messenger)
        .flat_map(|f| title_parts(f.text.trim()))
        .map(|text| fold(&text))
        .chain(joined.map(fold))
        .collect();
    let mut spaced = title.split_whitespace().collect::<Vec<_>>().join(" ");
    for separator in [" | ", " — ", " – ", " · ", " :: "] {
        spaced = spaced.replace(separator, " - ");
    }
    spaced
        .split(" - ")
        .flat_map(|part| title_parts(part.trim()))
        .find(|part| clean_name(part).is_some() && !is_label(part) && shown.contains(&fold(part)))
}

/// A title part, and the name it quotes ("Edit «Ava Thompson»" → "Ava Thompson") first.
fn title_parts(part: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for (open, close) in [('«', '»'), ('“', '”'), ('"', '"'), ('‘', '’'), ('\'', '\'')] {
        if let Some((_, rest)) = part.split_once(open) {
            if let Some((quoted, _)) = rest.split_once(close) {
                parts.push(quoted.trim().to_owned());
            }
        }
    }
    parts.push(part.to_owned());
    parts
}

/// A number written without its country (no `+`, no `00` prefix).
fn is_national(raw: &str) -> bool {
    let raw = raw.trim_start();
    !raw.starts_with('+') && !raw.starts_with("00")
}

/// Whether a scope shows whose it is: a heading that is a name, or a name field. A row of a
/// form holding one control (a "Last name" input in its own row, as form layouts repeat them)
/// is a part of the record, not a person of its own.
fn names_itself(heading: Option<&str>, fields: &[&Field]) -> bool {
    let form_row = fields.len() == 1
        && matches!(
            fields[0].source,
            FieldSource::Input | FieldSource::Select | FieldSource::Textarea
        );
    // A heading that is the text of the scope's company field ("Organization: <a>Lagos
    // Freight</a>", the link that gave the heading) names the company, not the scope.
    let of_company = |h: &str| {
        fields
            .iter()
            .any(|f| field_role(f) == Some(Role::Company) && f.text.trim() == h.trim())
    };
    heading
        .filter(|h| !of_company(h))
        .and_then(clean_name)
        .is_some()
        || !form_row
            && fields.iter().any(|f| {
                matches!(
                    field_role(f),
                    Some(Role::Name | Role::FirstName | Role::LastName)
                ) && clean_name(&f.text).is_some()
            })
}

/// What a field's label says it is (a property name for microdata, hCard and recipes), else
/// what its control hints say.
fn field_role(field: &Field) -> Option<Role> {
    let label = field.label.as_deref().and_then(|l| match field.source {
        FieldSource::Property => property_role(l),
        _ => role(l),
    });
    label.or_else(|| field.hints.as_deref().and_then(hint_role))
}

fn gather(fields: &[&Field], kind: ScopeKind) -> Facts {
    let mut facts = Facts::default();
    let in_record_part = kind != ScopeKind::Page;
    for field in fields {
        let text = field.text.trim();
        if text.is_empty() || field.prose || field.source == FieldSource::Messenger {
            continue;
        }
        let label_role = field_role(field);
        let typed_by_people = label_role == Some(Role::FreeText)
            || field.within.as_deref().and_then(role) == Some(Role::FreeText)
            // A textarea holds what someone typed; only a label saying what it is makes it a field.
            || (field.source == FieldSource::Textarea && label_role.is_none());
        if typed_by_people {
            let runs = candidates(text).into_iter().filter(|c| c.formatted);
            facts.in_text.extend(runs.map(|c| c.raw));
            continue;
        }
        // A number in a sentence is someone's message, whatever label the line began with.
        let sentence = matches!(field.source, FieldSource::Text | FieldSource::Textarea)
            && reads_as_prose(text);
        match field.source {
            FieldSource::Tel => {
                if let Some(number) = field.href.as_deref().and_then(tel_target) {
                    let kind = match label_role {
                        Some(Role::Phone(kind)) => kind,
                        _ => PhoneKind::Other,
                    };
                    let display = if candidates(text).is_empty() {
                        number.clone()
                    } else {
                        text.to_owned()
                    };
                    note_international(&mut facts, &number);
                    facts.phones.push((number, kind, display));
                }
                continue;
            }
            FieldSource::Mailto => {
                if let Some(address) = field.href.as_deref().and_then(mail_target) {
                    push_email(&mut facts.emails, &address);
                }
                continue;
            }
            _ => {}
        }
        match label_role {
            Some(Role::Phone(_)) if sentence => {
                let runs = candidates(text).into_iter().filter(|c| c.formatted);
                facts.in_text.extend(runs.map(|c| c.raw));
            }
            Some(Role::NotPhone) => {
                let runs = candidates(text).into_iter().filter(|c| c.formatted);
                facts.labelled_otherwise.extend(runs.map(|c| c.raw));
            }
            Some(Role::Phone(kind)) => {
                for candidate in candidates(text) {
                    note_international(&mut facts, &candidate.raw);
                    facts
                        .phones
                        .push((candidate.raw.clone(), kind, candidate.raw));
                }
            }
            Some(Role::FreeText) => {}
            Some(Role::Email) => {
                if let Some(address) = email_in(text) {
                    push_email(&mut facts.emails, &address);
                }
            }
            // A name column also holds its row's action links ("See", "Edit"): not names.
            Some(Role::Name | Role::FirstName | Role::LastName) if clean_name(text).is_none() => {}
            Some(Role::Name) => set_once(&mut facts.name, text),
            Some(Role::FirstName) => set_once(&mut facts.first, text),
            Some(Role::LastName) => set_once(&mut facts.last, text),
            Some(Role::Company) => set_once(&mut facts.company, text),
            Some(Role::JobTitle) => set_once(&mut facts.job_title, text),
            Some(Role::Country) | Some(Role::Address) => {
                if facts.region.is_none() {
                    facts.region = country_region(text).map(str::to_owned);
                }
            }
            None => {
                if let Some(address) = email_in(text) {
                    push_email(&mut facts.emails, &address);
                } else if in_record_part && !field.heading && !sentence {
                    for candidate in candidates(text).into_iter().filter(|c| c.formatted) {
                        note_international(&mut facts, &candidate.raw);
                        facts
                            .phones
                            .push((candidate.raw.clone(), PhoneKind::Other, candidate.raw));
                    }
                }
            }
        }
    }
    facts
}

/// Microdata `itemprop`, hCard classes and JSON-LD keys.
fn property_role(label: &str) -> Option<Role> {
    let key = label.trim();
    let key = key
        .strip_prefix("p-")
        .or_else(|| key.strip_prefix("u-"))
        .unwrap_or(key);
    Some(match key {
        "telephone" | "tel" | "phone" => Role::Phone(PhoneKind::Other),
        "mobile" => Role::Phone(PhoneKind::Mobile),
        "workPhone" => Role::Phone(PhoneKind::Business),
        "homePhone" => Role::Phone(PhoneKind::Home),
        "firstName" => Role::FirstName,
        "lastName" => Role::LastName,
        "company" => Role::Company,
        "country" => Role::Country,
        "faxNumber" | "fax" => Role::Phone(PhoneKind::Fax),
        "email" => Role::Email,
        "name" | "fn" => Role::Name,
        "givenName" | "given-name" => Role::FirstName,
        "familyName" | "family-name" => Role::LastName,
        "worksFor" | "affiliation" | "org" | "organization-name" => Role::Company,
        "jobTitle" | "title" | "job-title" => Role::JobTitle,
        "addressCountry" | "country-name" => Role::Country,
        "address" | "adr" | "street-address" => Role::Address,
        other => return role(other),
    })
}

fn note_international(facts: &mut Facts, raw: &str) {
    if facts.international_region.is_none() && raw.trim_start().starts_with('+') {
        facts.international_region = read(raw, None).and_then(|n| n.region);
    }
}

/// A scope's numbers, each read once: the lines to call, and the numbers as written that read
/// as a line (`readable`) or did not (`unreadable`), for the "left out" counts.
struct ReadNumbers {
    lines: Vec<ContactPhone>,
    readable: Vec<String>,
    unreadable: Vec<String>,
}

fn valid_numbers(phones: &[(String, PhoneKind, String)], region: Option<&str>) -> ReadNumbers {
    let mut read_numbers = ReadNumbers {
        lines: Vec::new(),
        readable: Vec::new(),
        unreadable: Vec::new(),
    };
    let numbers = &mut read_numbers.lines;
    for (raw, kind, display) in phones {
        let Some(number) = read(raw, region) else {
            read_numbers.unreadable.push(raw.clone());
            continue;
        };
        read_numbers.readable.push(digits_of(raw));
        match numbers.iter_mut().find(|p| p.phone_number == number.e164) {
            // The same number shown twice (link and text): keep the kind a label gave.
            Some(known) if known.phone_type == "other" => {
                known.phone_type = kind.widget_name().into()
            }
            Some(_) => {}
            None => numbers.push(ContactPhone {
                phone_number: number.e164,
                phone_type: kind.widget_name().into(),
                display: Some(display.clone()).filter(|d| !d.is_empty()),
            }),
        }
    }
    read_numbers
}

/// The number of a `tel:`/`sms:` link (`tel:+1-650-555-0101;ext=12`, `tel:%2B4930…`).
fn tel_target(href: &str) -> Option<String> {
    let lower = href.trim().to_ascii_lowercase();
    let rest = ["tel:", "sms:", "callto:", "facetime:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p).map(|_| &href.trim()[p.len()..]))?;
    let decoded = rest
        .replace("%2B", "+")
        .replace("%2b", "+")
        .replace("%20", " ");
    let (number, params) = decoded.split_once(';').unwrap_or((&decoded, ""));
    let number = number
        .split('?')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let extension = params.split(';').find_map(|p| p.strip_prefix("ext="));
    Some(match extension {
        Some(ext) => format!("{number} ext. {ext}"),
        None => number,
    })
    .filter(|n| n.chars().filter(char::is_ascii_digit).count() >= 6)
}

fn mail_target(href: &str) -> Option<String> {
    let rest = href.trim().strip_prefix("mailto:")?;
    let address = rest.split(['?', ',']).next()?.replace("%40", "@");
    email_in(&address)
}

/// The e-mail address a text is (or holds), plainly checked.
fn email_in(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '(' | ')'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '\'')))
        .find(|w| {
            let Some((local, domain)) = w.split_once('@') else {
                return false;
            };
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && w.len() <= 254
                && !domain.contains('@')
        })
        .map(str::to_owned)
}

fn push_email(emails: &mut Vec<String>, address: &str) {
    if !emails.iter().any(|e| e.eq_ignore_ascii_case(address)) {
        emails.push(address.to_owned());
    }
}

fn set_once(slot: &mut Option<String>, text: &str) {
    if slot.is_none() {
        *slot = Some(text.to_owned());
    }
}

fn join_name(first: &str, last: &str) -> String {
    let cjk = |s: &str| s.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c));
    if cjk(first) && cjk(last) {
        format!("{last}{first}")
    } else {
        format!("{first} {last}")
    }
}

/// A name as stored: whitespace collapsed, bounded, and refused when it is not a name (a
/// number, an address, a label, a sentence).
fn clean_name(raw: &str) -> Option<String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = name
        .trim_matches(|c: char| matches!(c, ':' | ',' | '|' | '·'))
        .trim()
        .to_owned();
    let length = name.chars().count();
    if length == 0 || length > 100 || !name.chars().any(char::is_alphabetic) {
        return None;
    }
    if name.contains('@') || !candidates(&name).is_empty() || is_label(&name) {
        return None;
    }
    if name.split_whitespace().count() > 8 {
        return None;
    }
    Some(name)
}

fn strip_hash_noise(url: &str) -> String {
    match url.split_once('#') {
        Some((base, hash)) if hash_route(hash).is_none() => base.to_owned(),
        _ => url.to_owned(),
    }
}

/// One contact per id: a page that shows a person twice (a row and a card) yields one.
fn merge_same_ids(contacts: Vec<Contact>) -> Vec<Contact> {
    let mut merged: Vec<Contact> = Vec::new();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for contact in contacts {
        let index = at.get(&contact.id).copied();
        if index.is_none() {
            at.insert(contact.id.clone(), merged.len());
        }
        match index.map(|i| &mut merged[i]) {
            Some(known) => {
                *known = crm_bridge::contacts::merge::merge_seen(
                    Some(known),
                    Contact {
                        seen_at: known.seen_at,
                        ..contact
                    },
                )
            }
            None => merged.push(contact),
        }
    }
    merged
}

/// Whether two addresses have the same origin (scheme, host and port).
fn same_origin(a: &str, b: &str) -> bool {
    match (WebUrl::parse(a), WebUrl::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}
