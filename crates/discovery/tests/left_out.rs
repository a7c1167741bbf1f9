//! Why the numbers a page shows did not become callable lines: each is counted once, under its
//! first reason, so the popup can tell the user (a fax, an invoice number, a note, no name).

use crm_bridge::protocol::evidence::{LeftOut, PageEvidence, ScopeKind};
mod common;
use common::{field, scope};
use crm_discovery::{interpret, Context};

fn american() -> Context {
    Context {
        locale: Some("en-US".into()),
        ..Context::default()
    }
}

#[test]
fn each_number_left_out_is_counted_once_under_its_reason() {
    let page = PageEvidence {
        version: 2,
        url: "https://crm.test/contacts/7".into(),
        lang: Some("en-US".into()),
        scopes: vec![scope(ScopeKind::Page, None)],
        fields: vec![
            field(0, "Name", "Ava Thompson"),
            field(0, "Phone", "(206) 555-0134"),
            field(0, "Fax", "(206) 555-0135"),
            field(0, "Invoice", "206-555-0177"),
            field(0, "Phone", "+1 011 555 0134"),
            // Her own number again, and another one, in a note someone wrote.
            field(
                0,
                "Notes",
                "Call (206) 555-0134 or (206) 555-0188 after five.",
            ),
        ],
        ..PageEvidence::default()
    };
    let found = interpret(&page, &american()).unwrap();
    assert_eq!(found.contacts.len(), 1);
    assert_eq!(
        found.left_out,
        Some(LeftOut {
            fax: 1,
            not_a_phone: 1,
            in_text: 1,
            invalid: 1,
            no_name: 0,
        })
    );
}

#[test]
fn numbers_with_no_name_beside_them_are_counted_and_a_clean_page_reports_nothing() {
    let mut list = PageEvidence {
        version: 2,
        url: "https://crm.test/contacts".into(),
        lang: Some("en-US".into()),
        scopes: vec![scope(ScopeKind::Page, None), scope(ScopeKind::Row, Some(0))],
        fields: vec![
            field(1, "Name", "Bo Ek"),
            field(1, "Phone", "(206) 555-0140"),
        ],
        ..PageEvidence::default()
    };
    let clean = interpret(&list, &american()).unwrap();
    assert_eq!(clean.contacts.len(), 1);
    assert_eq!(clean.left_out, None, "nothing was left out");
    list.scopes.push(scope(ScopeKind::Row, Some(0)));
    list.fields.push(field(2, "Phone", "(206) 555-0141"));
    list.fields.push(field(2, "Phone", "(206) 555-0141"));
    let nameless = interpret(&list, &american()).unwrap();
    assert_eq!(nameless.left_out.map(|l| l.no_name), Some(1));
}
