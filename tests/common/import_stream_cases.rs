//! Imports kept as a whole against real IndexedDB: chunks written into one transaction as
//! they arrive (with pauses between them), kept only with the last; a write asked meanwhile
//! waits and is numbered after the import; a broken or failing import keeps nothing.

use crate::contact_store_cases::{all_pages, drop_database, fresh_name, people, SITE};
use crm_bridge::contacts::Contact;
use crm_bridge::protocol::bridge::ImportBatch;
use crm_bridge::service::data::{ContactSink, ContactSource};
use crm_bridge::store::contacts::StoreContacts;
use futures_util::future::{join, join3};
use wasm_bindgen_test::wasm_bindgen_test;

fn part(id: &str, part: u32, last: bool) -> ImportBatch {
    ImportBatch {
        id: id.into(),
        part,
        last,
    }
}

/// Sends one chunk of an import, as the options page does.
async fn send(
    store: &StoreContacts,
    contacts: Vec<Contact>,
    batch: ImportBatch,
) -> Result<usize, crm_bridge::service::data::ServiceError> {
    store.import_part(SITE, contacts, &batch).await
}

async fn pause(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

#[wasm_bindgen_test]
async fn an_import_is_kept_whole_and_a_write_asked_meanwhile_comes_after_it() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 500);
    store.upsert(SITE, people(0..10)).await.unwrap();
    let (_, before) = all_pages(&store, None).await;
    // Chunk 0 arrives, then a page shows a contact, then (after a pause the transaction is
    // kept open through) chunks 1 and 2.
    let first = send(&store, people(100..1_300), part("a", 0, false));
    let seen = async {
        pause(20).await;
        store.upsert(SITE, people(5_000..5_001)).await
    };
    let rest = async {
        pause(300).await;
        let second = send(&store, people(1_300..2_500), part("a", 1, false));
        let last = send(&store, people(2_500..2_800), part("a", 2, true));
        join(second, last).await
    };
    let (first, seen, (second, last)) = join3(first, seen, rest).await;
    assert_eq!(first.unwrap(), 1_200, "chunk 0 written");
    assert_eq!(second.unwrap(), 1_200, "chunk 1 written");
    assert_eq!(last.unwrap(), 2_700, "the whole import kept");
    assert_eq!(seen.unwrap().added, 1);
    assert_eq!(store.record_count().await.unwrap(), 10 + 2_700 + 1);
    // A widget that synced before sees the import and the write in its next delta, in that
    // order (the write waited for the import and was numbered after it).
    let (delta, after) = all_pages(&store, Some(before)).await;
    assert_eq!(delta.len(), 2_701);
    assert_eq!(delta.last().unwrap().id, format!("{SITE}#5000"));
    assert!(after > before);
    // Another connection, reading only the database, gives the same delta.
    let reader = StoreContacts::new(&name, 500);
    assert_eq!(all_pages(&reader, Some(before)).await.0, delta);
    reader.close();
    let found = store.search("person 2799", 5).await.unwrap();
    assert_eq!(found.len(), 1);
    let matched = store
        .match_numbers(&["+12065551500".to_owned()])
        .await
        .unwrap();
    assert_eq!(matched.len(), 1, "{matched:?}");
    drop_database(store, &name).await;
}

#[wasm_bindgen_test]
async fn a_larger_import_than_memory_keeps_is_found_once_the_memory_is_rebuilt() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 1_000);
    store.upsert(SITE, people(0..5)).await.unwrap();
    // Builds the in-memory index, which then answers.
    store.search("person", 1).await.unwrap();
    for _ in 0..400 {
        if store.memory_state().starts_with("ready") {
            break;
        }
        pause(5).await;
    }
    assert!(store.memory_state().starts_with("ready"));
    let sizes = [3_000, 3_000];
    let (one, two) = join(
        send(&store, people(1_000..4_000), part("big", 0, false)),
        send(&store, people(4_000..7_000), part("big", 1, true)),
    )
    .await;
    assert_eq!((one.unwrap(), two.unwrap()), (sizes[0], 6_000));
    for typed in ["person 6999", "person 1000", "2065550004"] {
        assert_eq!(store.search(typed, 3).await.unwrap().len(), 1, "{typed}");
    }
    let (all, _) = all_pages(&store, None).await;
    assert_eq!(all.len(), 6_005);
    drop_database(store, &name).await;
}

#[wasm_bindgen_test]
async fn an_import_broken_off_keeps_nothing_and_later_chunks_are_told_so() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 100);
    store.upsert(SITE, people(0..3)).await.unwrap();
    let written = send(&store, people(10..500), part("b", 0, false));
    assert_eq!(written.await.unwrap(), 490);
    let skipped = send(&store, people(500..600), part("b", 2, false))
        .await
        .unwrap_err();
    assert!(skipped.0.contains("out of order"), "{skipped}");
    let late = send(&store, people(500..600), part("b", 1, true))
        .await
        .unwrap_err();
    assert!(late.0.contains("nothing of it was kept"), "{late}");
    assert_eq!(store.record_count().await.unwrap(), 3);
    assert_eq!(store.search("person 10", 5).await.unwrap().len(), 0);
    // The store takes writes and imports again.
    store.upsert(SITE, people(3..4)).await.unwrap();
    let again = send(&store, people(10..20), part("c", 0, true));
    assert_eq!(again.await.unwrap(), 10);
    assert_eq!(store.record_count().await.unwrap(), 14);
    drop_database(store, &name).await;
}

#[wasm_bindgen_test]
async fn an_import_the_database_refuses_part_way_keeps_nothing() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 100);
    // Stored with numbers 101–103; the import's numbers start at 99, so its second chunk
    // collides with them in the unique `seq` index and is refused, as a full disk refuses a
    // write (QuotaExceededError).
    store.rewind_sequence_for_tests(100);
    store.upsert(SITE, people(0..3)).await.unwrap();
    store.rewind_sequence_for_tests(98);
    let first = send(&store, people(10..12), part("d", 0, false));
    assert_eq!(first.await.unwrap(), 2, "numbers 99 and 100 are free");
    let (second, last) = join(
        send(&store, people(12..20), part("d", 1, false)),
        send(&store, people(20..30), part("d", 2, true)),
    )
    .await;
    assert!(second.is_err(), "the refused chunk is told: {second:?}");
    assert!(last.is_err(), "the import was not kept: {last:?}");
    assert_eq!(store.record_count().await.unwrap(), 3);
    drop_database(store, &name).await;
}

#[wasm_bindgen_test]
async fn an_import_whose_page_went_away_is_given_up_and_keeps_nothing() {
    let name = fresh_name();
    let store = StoreContacts::new(&name, 100).abandon_imports_after_for_tests(150.0);
    store.upsert(SITE, people(0..3)).await.unwrap();
    let written = send(&store, people(10..1_010), part("e", 0, false)).await;
    assert_eq!(written.unwrap(), 1_000);
    // No next chunk comes: the transaction is kept open a while, then given up.
    pause(600).await;
    let late = send(&store, people(1_010..1_020), part("e", 1, true)).await;
    assert!(late.unwrap_err().0.contains("nothing of it was kept"));
    assert_eq!(store.record_count().await.unwrap(), 3);
    // Writes go on.
    store.upsert(SITE, people(3..5)).await.unwrap();
    assert_eq!(store.record_count().await.unwrap(), 5);
    drop_database(store, &name).await;
}
