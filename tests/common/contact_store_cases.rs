//! The contact store against real IndexedDB: writes, sync paging interleaved with writes,
//! search, match, tombstones, upgrades from every earlier schema, a blocked upgrade and a
//! write that fails half-way. Shared by the service-worker and page test binaries.

use crm_bridge::contacts::{Contact, ContactPhone};
use crm_bridge::logging::journal_view::JournalQuery;
use crm_bridge::service::data::{ContactSink, ContactSource, LogStore};
use crm_bridge::store::contacts::StoreContacts;
use crm_bridge::store::journal::StoreJournal;
use crm_bridge::store::{self, CONTACTS_STORE, META_STORE};
use rexie::{Index, ObjectStore, Rexie, TransactionMode};
use serde_json::Value;
use std::collections::BTreeMap;
use wasm_bindgen_test::wasm_bindgen_test;

pub(crate) const SITE: &str = "https://crm.example.com";

pub(crate) fn fresh_name() -> String {
    format!("crm-bridge-contacts-{}", js_sys::Math::random())
}

fn person(id: usize, name: &str, number: &str) -> Contact {
    Contact {
        id: id.to_string(),
        name: name.into(),
        phone_numbers: vec![ContactPhone {
            phone_number: number.into(),
            phone_type: "mobile".into(),
            display: None,
        }],
        emails: vec![format!("p{id}@example.com")],
        ..Default::default()
    }
}

pub(crate) fn people(range: std::ops::Range<usize>) -> Vec<Contact> {
    range
        .map(|i| person(i, &format!("Person {i}"), &format!("+1206555{i:04}")))
        .collect()
}

pub(crate) async fn all_pages(store: &StoreContacts, since: Option<u64>) -> (Vec<Contact>, u64) {
    let mut page = 1;
    let mut all = Vec::new();
    let first = store.contacts_page(since, page).await.expect("page");
    let cursor = first.sync_timestamp;
    all.extend(first.contacts);
    let mut next = first.next_page;
    while let Some(p) = next {
        page = p;
        let more = store.contacts_page(since, page).await.expect("page");
        all.extend(more.contacts);
        next = more.next_page;
    }
    (all, cursor)
}

pub(crate) async fn drop_database(store: StoreContacts, name: &str) {
    store.close();
    Rexie::delete(name).await.expect("delete");
}

#[wasm_bindgen_test]
async fn contacts_are_written_found_matched_and_synced() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 7);
    let mut list = people(0..30);
    list.push(person(100, "José Müller", "030 1234567"));
    list.push(person(101, "王小明", "+86 10 1234 5678"));
    list.push(person(102, "Shared Line", "+12065550003"));
    let written = store.upsert(SITE, list.clone()).await.expect("upsert");
    assert_eq!(written.added, 33);
    let again = store.upsert(SITE, list).await.expect("upsert again");
    assert_eq!(
        (again.unchanged, again.added),
        (33, 0),
        "unchanged: not rewritten"
    );
    assert_eq!(store.latest(), 33);

    let found = store.search("jose mull", 10).await.unwrap();
    assert_eq!(found[0].name, "José Müller");
    assert_eq!(store.search("小明", 10).await.unwrap()[0].name, "王小明");
    assert_eq!(
        store.search("person 1", 5).await.unwrap().len(),
        5,
        "limited"
    );

    let asked = vec![
        "+12065550003".to_owned(),
        "12065550004".to_owned(),
        "+49301234567".to_owned(),
        "+19995550000".to_owned(),
    ];
    let matched = store.match_numbers(&asked).await.unwrap();
    assert_eq!(
        matched["+12065550003"].len(),
        2,
        "a shared number returns everyone on it"
    );
    assert_eq!(matched["12065550004"][0].name, "Person 4");
    assert_eq!(
        matched["+49301234567"][0].name, "José Müller",
        "stored without country code"
    );
    assert!(!matched.contains_key("+19995550000"));

    let id = matched["12065550004"][0].id.clone();
    assert_eq!(id, format!("{SITE}#4"));
    assert_eq!(store.contact(&id).await.unwrap().unwrap().name, "Person 4");

    let (all, cursor) = all_pages(&store, None).await;
    assert_eq!(all.len(), 33, "pages of 7 cover everything once");
    assert_eq!(cursor, 34, "the next sequence number to deliver");
    let removed = store.remove(SITE, &["4".into()]).await.unwrap();
    assert_eq!(removed.removed, 1);
    let (delta, _) = all_pages(&store, Some(cursor)).await;
    assert_eq!(delta.len(), 1);
    assert!(delta[0].deleted);
    assert!(!store
        .match_numbers(&asked)
        .await
        .unwrap()
        .contains_key("12065550004"));
    assert_eq!(store.forget_site(SITE).await.unwrap(), 32);
    assert_eq!(all_pages(&store, None).await.0.len(), 0);
    drop_database(store, &name).await;
}

#[wasm_bindgen_test]
async fn a_several_word_search_finds_every_match_whether_few_or_many() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 50);
    let named = |range: std::ops::Range<usize>, first: &str, last: &str| {
        range
            .map(|i| person(i, &format!("{first}{i} {last}"), &format!("+1206555{i:04}")))
            .collect::<Vec<_>>()
    };
    let mut list = named(0..60, "Anna", "Thompson");
    list.extend(named(60..90, "Bert", "Thompson"));
    list.extend(named(90..120, "Anna", "Smith"));
    list.extend(named(120..125, "Zoe", "Quill"));
    store.upsert(SITE, list).await.unwrap();
    // 60 matches: read in one range and checked on their tokens.
    let many = store.search("an tho", 100).await.unwrap();
    assert_eq!(many.len(), 60);
    assert!(many
        .iter()
        .all(|c| c.name.starts_with("Anna") && c.name.ends_with("Thompson")));
    // 5 matches: read one by one.
    let few = store.search("zo qui", 100).await.unwrap();
    assert_eq!(few.len(), 5);
    assert!(store.search("bert smith", 100).await.unwrap().is_empty());
    drop_database(store, &name).await;
}

/// Waits until the store's in-memory index answers (its first search or match started it).
async fn memory_ready(store: &StoreContacts) {
    for _ in 0..400 {
        if store.memory_state().starts_with("ready") {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    panic!("the memory index was not built: {}", store.memory_state());
}

/// Search, match and get, as one comparable answer.
async fn answers(store: &StoreContacts) -> Vec<String> {
    let mut out = Vec::new();
    for typed in [
        "person 1",
        "pe 12",
        "jose",
        "小明",
        "+1 206 555 01",
        "nobody",
    ] {
        out.push(format!(
            "{typed}: {:?}",
            store.search(typed, 8).await.unwrap()
        ));
    }
    let asked: Vec<String> = [
        "+12065550003",
        "12065550011",
        "+49301234567",
        "+12065550150",
    ]
    .iter()
    .map(|n| n.to_string())
    .collect();
    out.push(format!("{:?}", store.match_numbers(&asked).await.unwrap()));
    for id in [3, 11, 100, 150] {
        let key = format!("{SITE}#{id}");
        out.push(format!("{:?}", store.contact(&key).await.unwrap()));
    }
    // A full sync, every page, as the widget asks for it.
    let mut page = Some(1);
    while let Some(at) = page {
        let answer = store.contacts_page(None, at).await.unwrap();
        let names: Vec<&str> = answer.contacts.iter().map(|c| c.name.as_str()).collect();
        out.push(format!(
            "page {at}: {names:?} next {:?} cursor {}",
            answer.next_page, answer.sync_timestamp
        ));
        page = answer.next_page;
    }
    out
}

#[wasm_bindgen_test]
async fn search_and_match_from_memory_answer_as_the_database_does() {
    let name = fresh_name();
    // Pages of 50, a full sync of the newest 120 (of 202): several pages from the middle.
    let store = StoreContacts::new(&name, 50).with_full_sync_limit(120);
    let mut list = people(0..200);
    list.push(person(100, "José Müller", "030 1234567"));
    list.push(person(101, "王小明", "+86 10 1234 5678"));
    store.upsert(SITE, list).await.unwrap();
    assert_eq!(
        store.memory_state(),
        "absent",
        "nothing is loaded before it is asked"
    );
    let database = || StoreContacts::new(&name, 50).with_full_sync_limit(120);
    let reader = database().without_memory_for_tests();
    let from_database = answers(&reader).await;
    reader.close();
    assert_eq!(answers(&store).await, from_database, "while it builds");
    memory_ready(&store).await;
    assert!(
        store.memory_state().contains("200 contacts"),
        "{}",
        store.memory_state()
    );
    assert_eq!(answers(&store).await, from_database);
    // Writes after the build reach the memory: renamed, removed, added, a shared number.
    let mut renamed = people(10..15);
    renamed
        .iter_mut()
        .for_each(|c| c.name = format!("Renamed {}", c.id));
    store.upsert(SITE, renamed).await.unwrap();
    store
        .remove(SITE, &["3".into(), "150".into()])
        .await
        .unwrap();
    store
        .upsert(SITE, vec![person(300, "Shared Line", "+12065550011")])
        .await
        .unwrap();
    let from_memory = answers(&store).await;
    let fresh = database().without_memory_for_tests();
    assert_eq!(from_memory, answers(&fresh).await);
    assert!(from_memory.iter().any(|a| a.contains("Renamed 11")));
    assert!(from_memory.iter().any(|a| a.contains("Shared Line")));
    fresh.close();
    drop_database(store, &name).await;
}

#[wasm_bindgen_test]
async fn a_site_remembers_when_its_pages_were_last_read_until_it_is_forgotten() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 50);
    assert_eq!(store.last_read(SITE).await.unwrap(), None, "never read");
    // From a file: no sighting, no "last read".
    store.import(SITE, people(0..3)).await.unwrap();
    assert_eq!(store.last_read(SITE).await.unwrap(), None);
    let seen = |at: f64| {
        people(3..6)
            .into_iter()
            .enumerate()
            .map(|(i, c)| Contact {
                seen_at: Some(at - i as f64),
                ..c
            })
            .collect::<Vec<_>>()
    };
    store.upsert(SITE, seen(1_000.0)).await.unwrap();
    assert_eq!(store.last_read(SITE).await.unwrap(), Some(1_000.0));
    // Read again with nothing changed: still a reading of the site.
    let again = store.upsert(SITE, seen(2_000.0)).await.unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(store.last_read(SITE).await.unwrap(), Some(2_000.0));
    assert_eq!(
        store.last_read("https://other.example.com").await.unwrap(),
        None
    );
    store.forget_site(SITE).await.unwrap();
    assert_eq!(store.last_read(SITE).await.unwrap(), None, "forgotten");
    drop_database(store, &name).await;
}

/// Replays pages and deltas like the widget (§4.1) while writes interleave, and compares the
/// result with what is stored: nothing skipped, nothing left twice.
#[wasm_bindgen_test]
async fn a_sync_interleaved_with_writes_skips_nothing() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 5);
    store.upsert(SITE, people(0..40)).await.unwrap();
    let mut widget: BTreeMap<String, Contact> = BTreeMap::new();
    let first = store.contacts_page(None, 1).await.unwrap();
    let cursor = first.sync_timestamp;
    for c in first.contacts {
        widget.insert(c.id.clone(), c);
    }
    let mut next = first.next_page;
    let mut round = 0;
    while let Some(page) = next {
        // Between pages: a new contact, a renamed one, a removed one.
        round += 1;
        store
            .upsert(SITE, vec![person(1000 + round, "New", "+13105550000")])
            .await
            .unwrap();
        let mut renamed = person(round, "Renamed", &format!("+1206555{round:04}"));
        renamed.name = format!("Renamed {round}");
        store.upsert(SITE, vec![renamed]).await.unwrap();
        store
            .remove(SITE, &[(39 - round).to_string()])
            .await
            .unwrap();
        let more = store.contacts_page(None, page).await.unwrap();
        for c in more.contacts {
            widget.insert(c.id.clone(), c);
        }
        next = more.next_page;
    }
    // The widget keeps only the first page's cursor and asks for what changed since.
    let (delta, _) = all_pages(&store, Some(cursor)).await;
    for c in delta {
        if c.deleted {
            widget.remove(&c.id);
        } else {
            widget.insert(c.id.clone(), c);
        }
    }
    let stored: BTreeMap<String, Contact> = store
        .site_records(SITE)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| !r.deleted)
        .map(|r| (r.key.clone(), r.contact))
        .collect();
    assert!(round >= 7, "writes interleaved with {round} pages");
    assert_eq!(widget, stored);
    drop_database(store, &name).await;
}

/// The writer answers recent deltas from its memory of what it committed; a fresh connection
/// reads the database: both answers must be the same, page by page, also once the memory no
/// longer reaches back to the cursor.
#[wasm_bindgen_test]
async fn deltas_from_memory_are_the_deltas_the_database_gives() {
    let name = fresh_name();
    let writer = StoreContacts::new(&name, 5);
    writer.upsert(SITE, people(0..12)).await.unwrap();
    let (_, cursor) = all_pages(&writer, None).await;
    writer.upsert(SITE, people(10..15)).await.unwrap(); // 10, 11 unchanged; 12–14 new
    let mut renamed = person(3, "Renamed", "+12065550003");
    renamed.name = "Renamed 3".into();
    writer.upsert(SITE, vec![renamed]).await.unwrap();
    writer
        .remove(SITE, &["5".into(), "13".into()])
        .await
        .unwrap();
    let reader = StoreContacts::new(&name, 5);
    let from_memory = all_pages(&writer, Some(cursor)).await;
    let from_database = all_pages(&reader, Some(cursor)).await;
    assert_eq!(from_memory, from_database);
    let ids: Vec<(String, bool)> = from_memory
        .0
        .iter()
        .map(|c| (c.id.clone(), c.deleted))
        .collect();
    assert_eq!(
        ids.len(),
        5,
        "12, 14, 3 renamed, 5 and 13 removed (13 once): {ids:?}"
    );
    assert!(ids.contains(&(format!("{SITE}#13"), true)));
    reader.close();
    // More changes than the memory keeps: a delta from the start is read from the database.
    writer.import(SITE, people(100..2_200)).await.unwrap();
    let reader = StoreContacts::new(&name, 5);
    let long_memory = all_pages(&writer, Some(1)).await;
    let long_database = all_pages(&reader, Some(1)).await;
    assert_eq!(long_memory.0.len(), 15 + 2_100);
    assert_eq!(long_memory, long_database);
    // Another connection wrote: this worker's memory misses it, so it reads the database.
    let (_, now) = all_pages(&writer, None).await;
    reader.upsert(SITE, people(5_000..5_001)).await.unwrap();
    let (seen, _) = all_pages(&writer, Some(now)).await;
    assert_eq!(
        seen.len(),
        1,
        "the other connection's write is in the delta"
    );
    reader.close();
    drop_database(writer, &name).await;
}

#[wasm_bindgen_test]
async fn a_write_that_fails_half_way_keeps_nothing_of_it() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 10);
    store.upsert(SITE, people(0..3)).await.unwrap();
    // Force the next write to reuse sequence numbers 2 and 3: the unique index refuses the
    // batch in the middle, as a full disk would refuse it (QuotaExceededError).
    store.rewind_sequence_for_tests(1);
    let err = store.import(SITE, people(10..15)).await.unwrap_err();
    assert!(!err.0.is_empty());
    assert_eq!(
        store.record_count().await.unwrap(),
        3,
        "nothing of the batch was kept"
    );
    assert_eq!(store.search("person 10", 5).await.unwrap().len(), 0);
    drop_database(store, &name).await;
}

/// Writes a database exactly as an earlier schema did, from its fixture.
async fn write_fixture(name: &str, fixture: &Value) {
    let mut builder = Rexie::builder(name).version(fixture["version"].as_u64().unwrap() as u32);
    for spec in fixture["stores"].as_array().unwrap() {
        let mut store = ObjectStore::new(spec["name"].as_str().unwrap())
            .key_path(spec["keyPath"].as_str().unwrap());
        for index in spec["indexes"].as_array().unwrap() {
            store = store.add_index(
                Index::new(
                    index["name"].as_str().unwrap(),
                    index["keyPath"].as_str().unwrap(),
                )
                .unique(index["unique"].as_bool().unwrap_or(false))
                .multi_entry(index["multiEntry"].as_bool().unwrap_or(false)),
            );
        }
        builder = builder.add_object_store(store);
    }
    let db = builder.build().await.expect("fixture schema");
    for (store_name, records) in fixture["records"].as_object().unwrap() {
        let transaction = db
            .transaction(&[store_name.as_str()], TransactionMode::ReadWrite)
            .unwrap();
        let store = transaction.store(store_name).unwrap();
        for record in records.as_array().unwrap() {
            let value = js_sys::JSON::parse(&record.to_string()).unwrap();
            store.put(&value, None).await.unwrap();
        }
        transaction.done().await.unwrap();
    }
    db.close();
}

async fn all_records(db: &Rexie, store_name: &str) -> Vec<Value> {
    let transaction = db
        .transaction(&[store_name], TransactionMode::ReadOnly)
        .unwrap();
    let values = transaction
        .store(store_name)
        .unwrap()
        .get_all(None, None)
        .await
        .unwrap();
    values
        .iter()
        .map(|v| serde_json::from_str(&String::from(js_sys::JSON::stringify(v).unwrap())).unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn every_earlier_schema_upgrades_without_losing_a_record() {
    for text in [
        include_str!("../fixtures/store/v1.json"),
        include_str!("../fixtures/store/v2.json"),
    ] {
        let fixture: Value = serde_json::from_str(text).unwrap();
        let name = fresh_name();
        write_fixture(&name, &fixture).await;
        let db = store::open(&name).await.expect("upgrade");
        assert_eq!(db.version().unwrap(), store::DATABASE_VERSION);
        for (store_name, records) in fixture["records"].as_object().unwrap() {
            let mut expected = records.as_array().unwrap().clone();
            let mut found = all_records(&db, store_name).await;
            let by_key = |v: &Value| v["key"].as_str().unwrap_or_default().to_owned();
            expected.sort_by_key(by_key);
            found.sort_by_key(by_key);
            assert_eq!(found, expected, "v{}: {store_name}", fixture["version"]);
        }
        assert!(db.store_names().contains(&CONTACTS_STORE.to_owned()));
        assert!(db.store_names().contains(&META_STORE.to_owned()));
        db.close();
        // The upgraded contacts are usable: matched, found, synced as deltas.
        let contacts = StoreContacts::new(&name, 10);
        if fixture["version"] == 2 {
            let matched = contacts
                .match_numbers(&["+12065550134".into()])
                .await
                .unwrap();
            assert_eq!(matched["+12065550134"][0].name, "Ava Thompson");
            assert_eq!(
                contacts.latest(),
                3,
                "the sequence continues after the stored one"
            );
            // v3's time index covers the journal v2 wrote: newest first, and by date.
            let journal = StoreJournal::new(&name);
            let keys = |entries: Vec<crm_bridge::logging::entry::JournalEntry>| {
                entries.into_iter().map(|e| e.key).collect::<Vec<_>>()
            };
            let all = JournalQuery {
                limit: 10,
                ..JournalQuery::default()
            };
            let all = journal.journal(&all).await.unwrap();
            assert_eq!(keys(all), ["call:v2-newer", "call:v2-older"]);
            let second_day = JournalQuery {
                from: Some(1_764_043_200_000.0),
                limit: 10,
                ..JournalQuery::default()
            };
            assert_eq!(
                keys(journal.journal(&second_day).await.unwrap()),
                ["call:v2-newer"]
            );
            journal.close();
        }
        drop_database(contacts, &name).await;
    }
}

/// `indexedDB.open(name, version)` with no `versionchange` handler.
async fn raw_connection(name: &str, version: u32) -> wasm_bindgen::JsValue {
    use js_sys::Reflect;
    let factory = Reflect::get(&js_sys::global(), &"indexedDB".into()).unwrap();
    let open: js_sys::Function = Reflect::get(&factory, &"open".into()).unwrap().into();
    let request = open.call2(&factory, &name.into(), &version.into()).unwrap();
    let opened = js_sys::Promise::new(&mut |resolve, _| {
        Reflect::set(&request, &"onsuccess".into(), &resolve).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(opened).await.unwrap();
    Reflect::get(&request, &"result".into()).unwrap()
}

#[wasm_bindgen_test]
async fn an_upgrade_blocked_by_an_old_connection_says_so_instead_of_hanging() {
    let name = fresh_name();
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/store/v1.json")).unwrap();
    write_fixture(&name, &fixture).await;
    // rexie's own connections close when another asks for a new version; a connection that
    // does not (an older page, any script) holds the upgrade.
    let old = raw_connection(&name, 1).await;
    let started = js_sys::Date::now();
    let err = store::open(&name).await.expect_err("blocked");
    assert!(err.0.contains("held open"), "{err}");
    assert!(js_sys::Date::now() - started < 8_000.0);
    let close: js_sys::Function = js_sys::Reflect::get(&old, &"close".into()).unwrap().into();
    close.call0(&old).unwrap();
    // Once the old connection is gone, the next attempt upgrades.
    let store = StoreContacts::new(&name, 10);
    assert_eq!(store.record_count().await.unwrap(), 0);
    // Not deleted: the timed-out request may still hold a connection until it is collected,
    // and deleting would wait for it. The name is random.
    store.close();
}

#[wasm_bindgen_test]
async fn a_full_sync_gives_the_newest_contacts_and_deltas_still_reach_everything() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 4).with_full_sync_limit(10);
    store.import(SITE, people(0..30)).await.unwrap();
    let (full, cursor) = all_pages(&store, None).await;
    let ids: Vec<String> = full.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), 10, "the newest ten");
    assert_eq!(ids[0], format!("{SITE}#20"));
    store
        .upsert(SITE, vec![person(3, "Old But Changed", "+12065550003")])
        .await
        .unwrap();
    let (delta, _) = all_pages(&store, Some(cursor)).await;
    assert_eq!(
        delta[0].name, "Old But Changed",
        "a change to an older contact still arrives"
    );
    let matched = store.match_numbers(&["+12065550001".into()]).await.unwrap();
    assert_eq!(
        matched["+12065550001"][0].name, "Person 1",
        "match reaches every contact"
    );
    drop_database(store, &name).await;
}
