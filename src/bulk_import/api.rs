//! A recipe's API mode: contacts read from the CRM's own JSON endpoint (same origin, the
//! user's session) instead of its pages.
//!
//! Each page of the API's answer becomes page evidence — one card per record, its fields
//! labelled with the recipe's field names, the record's link, and the next page as a
//! `rel=next` pager link — so discovery reads API records with exactly the rules it reads page
//! cards with (numbers validated and normalised, names checked), and the bulk import follows
//! the API's pages as it follows a list's. Documented in `docs/recipes.md`.

use crate::protocol::evidence::{
    limits, Field, FieldSource, PageEvidence, Pager, PagerLink, Scope, ScopeKind, EVIDENCE_VERSION,
};
use crate::settings::recipe::RECIPE_FIELDS;
use crate::url::WebUrl;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest template or path accepted (typed or pasted by a person).
const MAX_TEMPLATE: usize = 300;

/// Where a CRM's JSON API lists its contacts, and how its records read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiRecipe {
    /// The first page: a path on the site (`/api/people`) or a URL of the same origin.
    pub url: String,
    /// Dot path to the array of records in the answer (`data`, `results.items`); empty when
    /// the answer is the array itself.
    #[serde(default)]
    pub items: String,
    /// Recipe field name → what it is in a record: a dot path (`phone`, `phones.0.number`) or
    /// a template of paths in braces (`{first} {last}`).
    pub fields: BTreeMap<String, String>,
    /// The record's page on the site, as a template (`/contacts/{id}`): its identity and the
    /// link the phone opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Dot path to the next page's address in the answer (`links.next`); without it, or when
    /// it is empty, the answer is the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl ApiRecipe {
    /// Whether this build can use it; the reason names what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.url.trim().is_empty() {
            return Err("recipe api: give the \"url\" of the first page".into());
        }
        if self.fields.is_empty() {
            return Err("recipe api: give \"fields\" (at least a name and a phone)".into());
        }
        let texts = [&self.url, &self.items]
            .into_iter()
            .chain(self.fields.values())
            .chain(self.link.iter())
            .chain(self.next.iter());
        for text in texts {
            if text.chars().count() > MAX_TEMPLATE {
                return Err(format!(
                    "recipe api: a path or template has more than {MAX_TEMPLATE} characters"
                ));
            }
        }
        if let Some(name) = self
            .fields
            .keys()
            .find(|name| !RECIPE_FIELDS.contains(&name.as_str()) || *name == "link")
        {
            return Err(format!(
                "recipe api: unknown field \"{name}\" (use {}; the record's page goes in \"link\")",
                RECIPE_FIELDS
                    .iter()
                    .filter(|f| **f != "link")
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }

    /// The first page's address for a page of the site at `page_url`.
    pub fn first_page(&self, page_url: &str) -> Result<String, String> {
        let base = WebUrl::parse(page_url).map_err(|err| err.to_string())?;
        resolve(&base, &self.url).ok_or_else(|| {
            format!(
                "the recipe's API address {} is not on {}",
                self.url,
                base.origin()
            )
        })
    }

    /// One answer of the API at `page_url` as page evidence; refused, with the reason, when it
    /// is not JSON or has no list where the recipe says.
    pub fn evidence(&self, page_url: &str, text: &str) -> Result<PageEvidence, String> {
        let base = WebUrl::parse(page_url).map_err(|err| err.to_string())?;
        let answer: Value = serde_json::from_str(text)
            .map_err(|err| format!("the API's answer is not JSON: {err}"))?;
        let records = value_at(&answer, &self.items)
            .and_then(Value::as_array)
            .ok_or_else(|| match self.items.as_str() {
                "" => "the API's answer is not a list".to_owned(),
                path => format!("the API's answer has no list at \"{path}\""),
            })?;
        let mut evidence = PageEvidence {
            version: EVIDENCE_VERSION,
            url: base.to_string(),
            scopes: vec![Scope::default()],
            ..PageEvidence::default()
        };
        for record in records.iter().take(limits::SCOPES - 1) {
            let scope = evidence.scopes.len() as u32;
            let link = self
                .link
                .as_deref()
                .map(|template| render(record, template))
                .and_then(|path| resolve(&base, &path));
            let heading = self.fields.get("name").map(|name| render(record, name));
            evidence.scopes.push(Scope {
                kind: ScopeKind::Card,
                parent: Some(0),
                heading: heading.filter(|h| !h.is_empty()),
                link,
                item_type: None,
            });
            for (name, template) in &self.fields {
                let text = render(record, template);
                if text.is_empty() || evidence.fields.len() >= limits::FIELDS {
                    continue;
                }
                evidence.fields.push(Field {
                    scope,
                    label: Some(name.clone()),
                    text: clip(&text),
                    source: FieldSource::Property,
                    ..Field::default()
                });
            }
        }
        let next = self
            .next
            .as_deref()
            .and_then(|path| value_at(&answer, path))
            .and_then(Value::as_str)
            .filter(|next| !next.is_empty())
            .and_then(|next| resolve(&base, next));
        evidence.pager = next.map(|href| Pager {
            links: vec![PagerLink {
                href,
                rel: Some("next".into()),
                ..PagerLink::default()
            }],
            current: None,
        });
        Ok(evidence)
    }
}

/// The value at a dot path (`a.b.0.c`; array elements by number); the value itself for "".
fn value_at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|step| !step.is_empty())
        .try_fold(value, |at, step| match at {
            Value::Object(map) => map.get(step),
            Value::Array(items) => items.get(step.parse::<usize>().ok()?),
            _ => None,
        })
}

/// A record's text for a template: `{path}`s replaced by their values, or a bare path's value.
fn render(record: &Value, template: &str) -> String {
    if !template.contains('{') {
        return text_of(value_at(record, template.trim()));
    }
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        out.push_str(&text_of(value_at(
            record,
            rest[open + 1..open + close].trim(),
        )));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Bool(flag)) => flag.to_string(),
        _ => String::new(),
    }
}

fn clip(text: &str) -> String {
    text.chars().take(limits::TEXT).collect()
}

/// `reference` (absolute, `/path`, or `?query`) as an absolute URL on `base`'s origin; none
/// for another origin or a form this reader does not take.
fn resolve(base: &WebUrl, reference: &str) -> Option<String> {
    let reference = reference.trim();
    let url = if reference.starts_with("http://") || reference.starts_with("https://") {
        reference.to_owned()
    } else if reference.starts_with('/') && !reference.starts_with("//") {
        format!("{}{reference}", base.origin())
    } else if reference.starts_with('?') {
        let path = base.rest().split(['?', '#']).next().unwrap_or("/");
        format!("{}{path}{reference}", base.origin())
    } else {
        return None;
    };
    let url = WebUrl::parse(&url).ok()?;
    (url.origin() == base.origin()).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://crm.example.com/api/people?page=1";

    fn recipe() -> ApiRecipe {
        serde_json::from_str(
            r#"{"url":"/api/people","items":"data","link":"/people/{id}","next":"links.next",
                "fields":{"name":"{first} {last}","phone":"phones.0.number","email":"email",
                          "country":"address.country"}}"#,
        )
        .unwrap()
    }

    const ANSWER: &str = r#"{"data":[
        {"id":7,"first":"Ada","last":"Lovelace","phones":[{"number":"030 1234567"}],
         "email":"ada@example.com","address":{"country":"DE"}},
        {"id":"c-8","first":"Kofi","last":"","phones":[],"email":null}],
        "links":{"next":"/api/people?page=2"}}"#;

    #[test]
    fn records_become_cards_with_labelled_fields_links_and_the_next_page() {
        let evidence = recipe().evidence(PAGE, ANSWER).unwrap();
        assert_eq!(evidence.check(), Ok(()));
        assert_eq!(evidence.scopes.len(), 3);
        let ada = &evidence.scopes[1];
        assert_eq!(ada.heading.as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            ada.link.as_deref(),
            Some("https://crm.example.com/people/7")
        );
        let fields: Vec<(&str, &str)> = evidence
            .fields
            .iter()
            .filter(|f| f.scope == 1)
            .map(|f| (f.label.as_deref().unwrap(), f.text.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("country", "DE"),
                ("email", "ada@example.com"),
                ("name", "Ada Lovelace"),
                ("phone", "030 1234567")
            ]
        );
        // Missing values give no field; a name with an empty part is trimmed.
        let kofi: Vec<&str> = evidence
            .fields
            .iter()
            .filter(|f| f.scope == 2)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(kofi, ["Kofi"]);
        let next = &evidence.pager.unwrap().links[0];
        assert_eq!(next.href, "https://crm.example.com/api/people?page=2");
        assert_eq!(next.rel.as_deref(), Some("next"));
    }

    #[test]
    fn the_last_page_has_no_next_and_other_origins_are_never_followed() {
        let last = recipe()
            .evidence(PAGE, r#"{"data":[],"links":{"next":null}}"#)
            .unwrap();
        assert_eq!(last.pager, None);
        let away = recipe()
            .evidence(
                PAGE,
                r#"{"data":[],"links":{"next":"https://evil.example/p2"}}"#,
            )
            .unwrap();
        assert_eq!(away.pager, None);
        let mut linked = recipe();
        linked.link = Some("https://evil.example/{id}".into());
        let evidence = linked.evidence(PAGE, ANSWER).unwrap();
        assert_eq!(evidence.scopes[1].link, None);
        assert_eq!(
            recipe()
                .first_page("https://crm.example.com/contacts")
                .unwrap(),
            "https://crm.example.com/api/people"
        );
        let mut cursor = recipe();
        cursor.url = "?page=1&size=100".into();
        assert_eq!(
            cursor
                .first_page("https://crm.example.com/api/v2/people?page=9")
                .unwrap(),
            "https://crm.example.com/api/v2/people?page=1&size=100"
        );
    }

    #[test]
    fn answers_that_do_not_fit_the_recipe_are_refused_with_the_reason() {
        let err = recipe().evidence(PAGE, "<html>").unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        let err = recipe().evidence(PAGE, r#"{"items":[]}"#).unwrap_err();
        assert!(err.contains("no list at \"data\""), "{err}");
        let mut root = recipe();
        root.items = String::new();
        assert_eq!(root.evidence(PAGE, "[]").unwrap().scopes.len(), 1);
        assert!(root
            .evidence(PAGE, "{}")
            .unwrap_err()
            .contains("not a list"));
    }

    #[test]
    fn recipes_that_cannot_be_used_are_refused() {
        assert_eq!(recipe().check(), Ok(()));
        let mut no_fields = recipe();
        no_fields.fields.clear();
        assert!(no_fields.check().unwrap_err().contains("fields"));
        let mut odd = recipe();
        odd.fields.insert("nickname".into(), "nick".into());
        assert!(odd.check().unwrap_err().contains("\"nickname\""));
        let mut long = recipe();
        long.url = "/".repeat(400);
        assert!(long.check().unwrap_err().contains("characters"));
        assert!(
            serde_json::from_str::<ApiRecipe>(r#"{"url":"/x","fields":{},"script":1}"#).is_err()
        );
    }
}
