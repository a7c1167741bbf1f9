//! Where a national number's country comes from when the page does not write it beside the
//! number: the record's address in a section of its own, the user's browser over a template's
//! bare `lang="en"`, and North America's own way of writing numbers.

use crm_bridge::protocol::evidence::{PageEvidence, Scope, ScopeKind};
mod common;
use common::{field, scope};
use crm_discovery::{interpret, Context};

/// A record page (a hash route, as Tryton's) with the name at the top, the address in one
/// section and the phones as rows of another.
fn record(url: &str, country: &str, phones: &[&str]) -> PageEvidence {
    let mut evidence = PageEvidence {
        version: 2,
        url: url.into(),
        lang: Some("en".into()),
        scopes: vec![
            scope(ScopeKind::Page, None),
            scope(ScopeKind::Card, Some(0)),
            scope(ScopeKind::Card, Some(0)),
        ],
        fields: vec![
            field(0, "Name:", "Pilar Navarro"),
            field(1, "City:", "Madrid"),
            field(1, "Country:", country),
        ],
        ..PageEvidence::default()
    };
    for phone in phones {
        let at = evidence.scopes.len() as u32;
        evidence.scopes.push(scope(ScopeKind::Row, Some(2)));
        evidence.fields.push(field(at, "Type", "Mobile"));
        evidence.fields.push(field(at, "Value", phone));
    }
    evidence
}

fn numbers(evidence: &PageEvidence, context: &Context) -> Vec<(String, Vec<String>)> {
    interpret(evidence, context)
        .unwrap()
        .contacts
        .into_iter()
        .map(|c| {
            (
                c.name,
                c.phone_numbers
                    .into_iter()
                    .map(|p| p.phone_number)
                    .collect(),
            )
        })
        .collect()
}

fn english_browser() -> Context {
    Context {
        locale: Some("en-US".into()),
        ..Context::default()
    }
}

#[test]
fn a_record_takes_the_country_of_its_address_in_a_sibling_section() {
    let page = record(
        "https://erp.test/#crm/model/party.party/10",
        "🇪🇸 Spain",
        &["655 44 33 22"],
    );
    assert_eq!(
        numbers(&page, &english_browser()),
        [("Pilar Navarro".to_owned(), vec!["+34655443322".to_owned()])]
    );
    let found = interpret(&page, &english_browser()).unwrap();
    assert_eq!(found.contacts[0].id, "#/crm/model/party.party/10");
}

#[test]
fn two_countries_on_a_record_name_neither_and_a_list_takes_none() {
    // Two offices, each a section named by its own heading, in two countries.
    let mut page = record(
        "https://erp.test/#crm/model/party.party/10",
        "Spain",
        &["655 44 33 22"],
    );
    page.scopes[1].heading = Some("Madrid office".into());
    page.scopes.push(Scope {
        heading: Some("Paris office".into()),
        ..scope(ScopeKind::Card, Some(0))
    });
    let other = page.scopes.len() as u32 - 1;
    page.fields.push(field(other, "Country:", "France"));
    assert_eq!(numbers(&page, &english_browser()), []);
    // A list page is no record: a section's country is not the rows'.
    let mut list = record(
        "https://erp.test/#crm/model/party.party",
        "Spain",
        &["655 44 33 22"],
    );
    list.scopes[1].heading = Some("Madrid office".into());
    assert!(numbers(&list, &english_browser()).is_empty());
}

#[test]
fn a_bare_english_page_yields_to_the_browsers_country() {
    let mut page = record(
        "https://erp.test/#crm/model/party.party/7",
        "",
        &["06 45 23 78 90"],
    );
    page.fields
        .retain(|f| f.label.as_deref() != Some("Country:"));
    let french = Context {
        locale: Some("fr-FR".into()),
        ..Context::default()
    };
    assert_eq!(numbers(&page, &french)[0].1, ["+33645237890"]);
    // A page that says its country keeps it.
    page.lang = Some("en-GB".into());
    assert!(numbers(&page, &french).is_empty());
}

#[test]
fn numbers_written_as_north_america_writes_them_are_read_as_theirs() {
    let mut page = record(
        "https://erp.test/#crm/model/party.party/6",
        "",
        &["(857) 555-0142", "617-555-0181"],
    );
    page.fields
        .retain(|f| f.label.as_deref() != Some("Country:"));
    let french = Context {
        locale: Some("fr-FR".into()),
        ..Context::default()
    };
    let mut read = numbers(&page, &french).remove(0).1;
    read.sort_unstable();
    assert_eq!(read, ["+16175550181", "+18575550142"]);
}
