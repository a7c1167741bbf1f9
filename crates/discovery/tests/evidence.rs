//! The core read natively from evidence the real walker wrote (copied from a corpus run, with
//! the test server's origin replaced): the two halves meet on these files.

use crm_bridge::protocol::evidence::PageEvidence;
use crm_discovery::{interpret, Context};

fn read(name: &str) -> Vec<crm_bridge::contacts::Contact> {
    read_with(name, |text| text)
}

/// Reads an evidence file after `edit` changed its text.
fn read_with(name: &str, edit: impl Fn(String) -> String) -> Vec<crm_bridge::contacts::Contact> {
    let path = format!("{}/tests/evidence/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let evidence: PageEvidence =
        serde_json::from_str(&edit(std::fs::read_to_string(path).unwrap())).unwrap();
    interpret(
        &evidence,
        &Context {
            locale: Some("en-US".into()),
            now_ms: 1.0,
            ..Context::default()
        },
    )
    .unwrap()
    .contacts
}

fn numbers(contact: &crm_bridge::contacts::Contact) -> Vec<&str> {
    let mut numbers: Vec<&str> = contact
        .phone_numbers
        .iter()
        .map(|p| p.phone_number.as_str())
        .collect();
    numbers.sort();
    numbers
}

#[test]
fn a_german_record_page_is_one_complete_contact() {
    let contacts = read("detail-dl-de");
    assert_eq!(contacts.len(), 1);
    let contact = &contacts[0];
    assert_eq!(contact.name, "Jürgen Weiß");
    assert_eq!(
        numbers(contact),
        ["+491701234567", "+49301234567"],
        "region from lang=de"
    );
    assert_eq!(contact.id, "/detail-dl-de/contacts/100");
    assert_eq!(
        contact.record_url.as_deref(),
        Some("https://crm.example.com/detail-dl-de/contacts/100")
    );
    assert_eq!(contact.company.as_deref(), Some("Müller & Söhne GmbH"));
    assert!(!contact.partial);
    assert_eq!(contact.seen_at, Some(1.0));
    let mobile = contact
        .phone_numbers
        .iter()
        .find(|p| p.phone_number == "+491701234567")
        .unwrap();
    assert_eq!(mobile.phone_type, "mobile", "from the label Handy");
    assert_eq!(
        mobile.display.as_deref(),
        Some("0170 1234567"),
        "kept as the page wrote it"
    );
}

#[test]
fn cards_are_partial_contacts_with_their_record_links_and_no_messenger_numbers() {
    let contacts = read("list-cards-de");
    assert_eq!(contacts.len(), 3);
    assert!(contacts.iter().all(|c| c.partial && c.record_url.is_some()));
    assert!(contacts.iter().all(|c| c.name != "WhatsApp"));
}

#[test]
fn a_card_linking_to_another_origin_names_no_record_of_this_site() {
    // User content (a comment, a post) can link anywhere; `/p/601` elsewhere is not this
    // site's record 601.
    let contacts = read_with("list-cards-de", |text| {
        text.replace(
            "\"link\": \"https://crm.example.com/p/601\"",
            "\"link\": \"https://evil.example/p/601\"",
        )
    });
    let foreign: Vec<_> = contacts.iter().filter(|c| c.record_url.is_none()).collect();
    assert_eq!(foreign.len(), 1, "{contacts:#?}");
    assert!(foreign[0].id.starts_with("seen:"), "{}", foreign[0].id);
    assert!(contacts.iter().all(|c| !c.id.contains("601")));
    assert!(contacts
        .iter()
        .filter_map(|c| c.record_url.as_deref())
        .all(|url| url.starts_with("https://crm.example.com/")));
}

#[test]
fn people_on_a_company_page_work_there() {
    let contacts = read("company-en-us");
    let company = &contacts[0];
    assert_eq!(
        company.name,
        "Ava Thompson".replace("Ava Thompson", "Northwind Traders")
    );
    assert!(contacts[1..]
        .iter()
        .all(|c| c.company.as_deref() == Some("Northwind Traders")));
}

#[test]
fn each_row_takes_its_own_country() {
    let contacts = read("mixed-countries");
    let by_name = |name: &str| contacts.iter().find(|c| c.name == name).unwrap();
    assert_eq!(numbers(by_name("Jürgen Weiß")), ["+49301234567"]);
    assert_eq!(numbers(by_name("Chloe Nguyen")), ["+61293744001"]);
    assert_eq!(numbers(by_name("Ava Thompson")), ["+12065550147"]);
}

#[test]
fn messenger_links_and_urls_yield_nobody() {
    assert!(read("trap-messenger").is_empty());
}

#[test]
fn a_page_with_more_numbers_than_the_budget_is_read_up_to_it_and_says_so() {
    use crm_bridge::protocol::evidence::{Field, FieldSource, Scope, ScopeKind, EVIDENCE_VERSION};
    let rows = crm_discovery::detect::MAX_NUMBERS_PER_PAGE + 10;
    let mut evidence = PageEvidence {
        version: EVIDENCE_VERSION,
        url: "https://crm.example.com/contacts".into(),
        scopes: vec![Scope::default()],
        ..PageEvidence::default()
    };
    for i in 0..rows {
        evidence.scopes.push(Scope {
            kind: ScopeKind::Row,
            parent: Some(0),
            heading: Some(format!("Person {i}")),
            ..Scope::default()
        });
        evidence.fields.push(Field {
            scope: i as u32 + 1,
            label: Some("Phone".into()),
            text: format!("+1 206 555 {:04}", i % 10_000),
            source: FieldSource::Text,
            ..Field::default()
        });
    }
    let found = interpret(&evidence, &Context::default()).unwrap();
    let truncated = found.truncated.expect("reported");
    assert_eq!(truncated.reason, "numbers");
    assert!(found.contacts.len() <= crm_discovery::detect::MAX_NUMBERS_PER_PAGE);
    assert!(
        found.contacts.len() > 1000,
        "read up to the budget, not nothing"
    );
}

#[test]
fn numbers_written_without_a_country_the_guess_cannot_read_are_counted_for_the_user() {
    // The demo CRM's list: no country column, people from five countries, national numbers.
    let path = format!(
        "{}/tests/evidence/list-no-country.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let evidence: PageEvidence =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let with = |default_region: Option<&str>| {
        interpret(
            &evidence,
            &Context {
                locale: Some("en-US".into()),
                default_region: default_region.map(str::to_owned),
                now_ms: 1.0,
            },
        )
        .unwrap()
    };
    // Guessed US from the browser: the German, Australian, French and British national numbers
    // cannot be read (the people written with + and the US ones can).
    let guessed = with(None);
    let unplaced = guessed.unplaced.expect("the user is told");
    assert_eq!(unplaced.assumed_region.as_deref(), Some("US"));
    assert_eq!(unplaced.numbers, 5);
    assert_eq!(guessed.contacts.len(), 7);
    // Told DE: the German ones are read, so fewer are left for the user.
    let told = with(Some("DE"));
    let left = told.unplaced.map_or(0, |u| u.numbers);
    assert!(left < 5, "{left}");
    let names: Vec<&str> = told.contacts.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"Jonas Becker") && names.contains(&"Jürgen Weiß"),
        "{names:?}"
    );
}
