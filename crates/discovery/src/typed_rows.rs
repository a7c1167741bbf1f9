//! Rows that say in a cell of their own what their value is.
//!
//! A CRM keeps a record's phones and e-mails as a one-to-many list: one row per line, a type
//! column ("Phone", "Mobile", "Fax", "E-mail") beside a value column whose header says only
//! "Value". Read alone, the value cell is a number of no kind, and a fax becomes a callable
//! line. Here each value of such a row takes its row's type as its label, before the rows are
//! folded into the record they belong to (detect.rs), where the type cell would be lost.

use crate::labels::{is_type_label, role, Role};
use crm_bridge::protocol::evidence::{FieldSource, PageEvidence, ScopeKind};

/// What a scope's type cells say.
#[derive(Clone, PartialEq)]
enum LineType {
    /// No type cell.
    Untyped,
    /// One type, as written ("Fax").
    One(String),
    /// Two different types: it is not one line, so it is left as it is.
    Mixed,
}

/// Labels the values of typed rows (and cards) with their row's type.
pub fn label_values_by_type(evidence: &mut PageEvidence) {
    let mut types = vec![LineType::Untyped; evidence.scopes.len()];
    for field in &evidence.fields {
        let scope = field.scope as usize;
        let is_record_part = evidence
            .scopes
            .get(scope)
            .is_some_and(|s| s.kind != ScopeKind::Page);
        if !is_record_part || !field.label.as_deref().is_some_and(is_type_label) {
            continue;
        }
        let kind = field.text.trim();
        if !names_a_channel(kind) {
            continue;
        }
        types[scope] = match &types[scope] {
            LineType::Untyped => LineType::One(kind.to_owned()),
            LineType::One(seen) if seen == kind => continue,
            _ => LineType::Mixed,
        };
    }
    for field in &mut evidence.fields {
        let Some(LineType::One(kind)) = types.get(field.scope as usize) else {
            continue;
        };
        let unlabelled = field.label.as_deref().and_then(role).is_none();
        let a_value = matches!(
            field.source,
            FieldSource::Text | FieldSource::Input | FieldSource::Select | FieldSource::Tel
        );
        if unlabelled && a_value && !field.label.as_deref().is_some_and(is_type_label) {
            field.label = Some(kind.clone());
        }
    }
}

/// Whether a type cell's text names a kind of contact line: a phone kind, e-mail, or a channel
/// that is not a phone (a web site).
fn names_a_channel(text: &str) -> bool {
    matches!(
        role(text),
        Some(Role::Phone(_) | Role::Email | Role::NotPhone)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{interpret, Context};
    use crm_bridge::protocol::evidence::{Field, Scope};

    fn row(parent: u32) -> Scope {
        Scope {
            kind: ScopeKind::Row,
            parent: Some(parent),
            ..Scope::default()
        }
    }

    fn cell(scope: u32, label: &str, text: &str) -> Field {
        Field {
            scope,
            label: Some(label.into()),
            text: text.into(),
            ..Field::default()
        }
    }

    /// A record page whose phones are rows of (Type, Value, Name).
    fn party_page(rows: &[(&str, &str, &str)]) -> PageEvidence {
        let mut evidence = PageEvidence {
            version: 2,
            url: "https://erp.test/#crm/model/party.party/7".into(),
            scopes: vec![Scope {
                kind: ScopeKind::Page,
                ..Scope::default()
            }],
            fields: vec![
                cell(0, "Name:", "Oliver Grant"),
                cell(0, "Country:", "United Kingdom"),
            ],
            ..PageEvidence::default()
        };
        for (i, (kind, value, name)) in rows.iter().enumerate() {
            evidence.scopes.push(row(0));
            let scope = i as u32 + 1;
            evidence.fields.push(cell(scope, "Type", kind));
            evidence.fields.push(cell(scope, "Value", value));
            evidence.fields.push(cell(scope, "Name", name));
        }
        evidence
    }

    #[test]
    fn a_type_cell_gives_the_value_its_kind_and_a_line_label_names_no_one() {
        let page = party_page(&[
            ("Phone", "020 7946 0958", "Switchboard"),
            ("Mobile", "07400 123456", ""),
            ("Fax", "020 7946 0959", "Reception"),
            ("E-mail", "oliver@grant.test", ""),
        ]);
        let found = interpret(&page, &Context::default()).unwrap();
        assert_eq!(found.contacts.len(), 1, "{:?}", found.contacts);
        let oliver = &found.contacts[0];
        assert_eq!(oliver.name, "Oliver Grant");
        let mut kinds: Vec<(&str, &str)> = oliver
            .phone_numbers
            .iter()
            .map(|p| (p.phone_number.as_str(), p.phone_type.as_str()))
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                ("+442079460958", "other"),
                ("+442079460959", "fax"),
                ("+447400123456", "mobile")
            ]
        );
        assert_eq!(oliver.emails, ["oliver@grant.test"]);
    }

    #[test]
    fn a_row_of_two_types_is_left_as_it_is() {
        let mut page = party_page(&[("Phone", "020 7946 0958", "")]);
        page.fields.push(cell(1, "Type", "Fax"));
        label_values_by_type(&mut page);
        assert_eq!(page.fields[3].label.as_deref(), Some("Value"));
    }
}
