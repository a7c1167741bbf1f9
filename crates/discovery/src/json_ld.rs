//! schema.org JSON-LD (`Person`, `Organization` and their kin) as evidence scopes, so one
//! detector reads them like microdata.

use crm_bridge::protocol::evidence::{Field, FieldSource, PageEvidence, Scope, ScopeKind};
use serde_json::Value;

const PEOPLE_AND_PLACES: &[&str] = &[
    "Person",
    "Organization",
    "Corporation",
    "LocalBusiness",
    "Store",
    "MedicalBusiness",
    "ProfessionalService",
];

/// Appends a scope per `Person`/`Organization` found in the page's JSON-LD, with its
/// properties as fields labelled by property name. Unparsable blocks are skipped.
pub fn add_json_ld_scopes(evidence: &mut PageEvidence) {
    let blocks = std::mem::take(&mut evidence.json_ld);
    for block in &blocks {
        if let Ok(value) = serde_json::from_str::<Value>(block) {
            visit(&value, evidence, 0);
        }
    }
    evidence.json_ld = blocks;
}

fn visit(value: &Value, evidence: &mut PageEvidence, depth: usize) {
    if depth > 8 || evidence.scopes.len() >= crm_bridge::protocol::evidence::limits::SCOPES {
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|v| visit(v, evidence, depth + 1)),
        Value::Object(map) => {
            if is_person_or_org(map.get("@type")) {
                add_scope(map, evidence);
            }
            for (key, child) in map {
                if key != "address" {
                    visit(child, evidence, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn is_person_or_org(kind: Option<&Value>) -> bool {
    match kind {
        Some(Value::String(kind)) => PEOPLE_AND_PLACES.contains(&kind.as_str()),
        Some(Value::Array(kinds)) => kinds.iter().any(|k| is_person_or_org(Some(k))),
        _ => false,
    }
}

fn add_scope(map: &serde_json::Map<String, Value>, evidence: &mut PageEvidence) {
    let scope = evidence.scopes.len() as u32;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    evidence.scopes.push(Scope {
        kind: ScopeKind::Item,
        parent: Some(0),
        heading: text(map.get("name")),
        link: text(map.get("url")),
        item_type: text(map.get("@type")),
    });
    let mut field = |label: &str, value: String| {
        evidence.fields.push(Field {
            scope,
            label: Some(label.to_owned()),
            text: value,
            source: FieldSource::Property,
            ..Field::default()
        });
    };
    for key in [
        "name",
        "givenName",
        "familyName",
        "telephone",
        "faxNumber",
        "email",
        "jobTitle",
    ] {
        for value in strings(map.get(key)) {
            field(key, value);
        }
    }
    for point in list(map.get("contactPoint")) {
        for value in strings(point.get("telephone")) {
            field("telephone", value);
        }
    }
    for key in ["worksFor", "affiliation"] {
        for org in list(map.get(key)) {
            for value in strings(org.get("name")) {
                field("worksFor", value);
            }
        }
    }
    match map.get("address") {
        Some(Value::String(address)) => field("address", address.clone()),
        Some(address @ Value::Object(_)) => {
            let country = address.get("addressCountry");
            let country = country.and_then(|c| c.get("name")).or(country);
            for value in strings(country) {
                field("addressCountry", value);
            }
        }
        _ => {}
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other @ Value::Object(_)) => vec![other],
        _ => Vec::new(),
    }
}
