//! The journal and outbox against real IndexedDB: a log is durable when answered and readable
//! by a new connection; updates merge; deliveries are queued with their entry, replaced by a
//! newer revision, settled only for the revision sent, retried and discarded by the user.
//! Shared by the service-worker and page test binaries.

use crm_bridge::logging::destinations::Destinations;
use crm_bridge::logging::entry::LoggedContact;
use crm_bridge::logging::merge::ContactLink;
use crm_bridge::logging::outbox::{AttemptResult, DeliveryState, Verdict};
use crm_bridge::logging::webhook::Webhook;
use crm_bridge::service::data::LogStore;
use crm_bridge::service::requests::{CallLog, MessageLog};
use crm_bridge::settings::site_options::SiteOptions;
use crm_bridge::sites::SitePattern;
use crm_bridge::store::journal::StoreJournal;
use rexie::Rexie;
use serde_json::json;
use wasm_bindgen_test::wasm_bindgen_test;

/// One site with a webhook: every entry goes there (an unknown caller to the only webhook).
fn hooks() -> Destinations {
    let site = SitePattern::parse("https://crm.example.com").unwrap();
    let options = SiteOptions {
        webhook: Some(Webhook {
            url: "https://hooks.example.com/crm".into(),
            ..Webhook::default()
        }),
        ..SiteOptions::default()
    };
    Destinations::of(&[(site, options)].into_iter().collect())
}

fn fresh_name() -> String {
    format!("crm-bridge-journal-{}", js_sys::Math::random())
}

fn call(session: &str, extra: serde_json::Value) -> CallLog {
    let mut body = json!({ "call": { "sessionId": session, "direction": "Inbound",
        "from": { "phoneNumber": "+12125550199" }, "startTime": 1_795_618_200_000.0 } });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    serde_json::from_value(body).unwrap()
}

fn erin() -> ContactLink {
    ContactLink::Named(LoggedContact {
        id: Some("crm-2".into()),
        name: Some("Erin Example".into()),
        site: Some("https://crm.example.com".into()),
        ..LoggedContact::default()
    })
}

fn nobody() -> ContactLink {
    ContactLink::Unknown("no contact has this number".into())
}

#[wasm_bindgen_test]
async fn a_logged_call_is_there_for_a_new_connection_and_updates_merge() {
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    let first = journal
        .log_call(
            &call("9002", json!({ "note": "<b>renewal</b>" })),
            erin(),
            &hooks(),
        )
        .await
        .unwrap();
    assert_eq!(first.key, "call:9002");
    assert_eq!(first.queued, 1);
    let update = call(
        "9002",
        json!({ "call": { "sessionId": "9002", "duration": 63, "result": "Call connected" } }),
    );
    journal.log_call(&update, nobody(), &hooks()).await.unwrap();
    journal.close();

    // A new connection (as after a worker or browser restart) finds one entry with both.
    let again = StoreJournal::new(&name);
    let matches = again
        .call_log_matches(&["9002".into(), "unknown".into()])
        .await
        .unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches["9002"][0].note.as_deref(), Some("<b>renewal</b>"));
    assert_eq!(matches["9002"][0].contact_id.as_deref(), Some("crm-2"));
    let entry = again.entry("call:9002").await.unwrap().unwrap();
    assert_eq!(entry.revision, 2);
    assert_eq!(
        entry.call.unwrap().result.as_deref(),
        Some("Call connected")
    );
    let rows = again.activities("crm-2").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].subject, "Inbound call · Call connected · 1:03");
    // One waiting delivery, carrying the newest revision.
    let waiting = again.deliveries().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].revision, 2);
    assert!(waiting[0].idempotency_key.ends_with("@2"));
    assert_eq!(again.count().await.unwrap(), 1);
    again.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn updates_of_one_call_arriving_together_both_end_up_in_its_entry() {
    // The phone sends a call's updates as they happen, without waiting for our answers: two
    // of them may be merged at once, and neither may be lost.
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    let first = call("9010", json!({ "note": "first words" }));
    journal.log_call(&first, erin(), &hooks()).await.unwrap();
    let ended = call(
        "9010",
        json!({ "call": { "sessionId": "9010", "duration": 63, "result": "Call connected" } }),
    );
    let noted = call("9010", json!({ "note": "asked for a quote" }));
    let (a, b) = futures_util::future::join(
        journal.log_call(&ended, erin(), &hooks()),
        journal.log_call(&noted, erin(), &hooks()),
    )
    .await;
    a.unwrap();
    b.unwrap();
    journal.close();
    let again = StoreJournal::new(&name);
    let entry = again.entry("call:9010").await.unwrap().unwrap();
    assert_eq!(entry.revision, 3, "two updates, two revisions");
    assert_eq!(entry.note.as_deref(), Some("asked for a quote"));
    assert_eq!(
        entry.call.unwrap().result.as_deref(),
        Some("Call connected"),
        "the other update is kept too"
    );
    again.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_update_arriving_while_its_site_is_forgotten_does_not_bring_the_entry_back() {
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    let first = call("9011", json!({ "note": "forget me" }));
    journal.log_call(&first, erin(), &hooks()).await.unwrap();
    let ended = call(
        "9011",
        json!({ "call": { "sessionId": "9011", "duration": 20, "result": "Call connected" } }),
    );
    let (forgotten, updated) = futures_util::future::join(
        journal.forget_site("https://crm.example.com"),
        journal.log_call(&ended, erin(), &hooks()),
    )
    .await;
    assert_eq!(forgotten.unwrap(), 1);
    updated.unwrap();
    // Forgotten first, the update is a new log of its own: nothing of the forgotten entry.
    let entry = journal.entry("call:9011").await.unwrap().unwrap();
    assert_eq!(entry.note, None, "the forgotten note is not written back");
    assert_eq!(entry.revision, 1);
    journal.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_restarted_worker_folds_an_update_into_the_entry_it_did_not_know() {
    let name = fresh_name();
    let before = StoreJournal::new(&name);
    let first = call("9100", json!({ "note": "first words" }));
    before.log_call(&first, erin(), &hooks()).await.unwrap();
    before.close();
    // The restarted worker knows nothing of the entry: it writes as if new, the database
    // refuses that (nothing written), and the update is read and merged instead.
    let after = StoreJournal::new(&name);
    let update = call(
        "9100",
        json!({ "call": { "sessionId": "9100", "duration": 5, "result": "Call connected" } }),
    );
    after.log_call(&update, nobody(), &hooks()).await.unwrap();
    let entry = after.entry("call:9100").await.unwrap().unwrap();
    assert_eq!(entry.revision, 2, "merged, not replaced");
    assert_eq!(entry.note.as_deref(), Some("first words"));
    assert_eq!(entry.contact_id.as_deref(), Some("crm-2"));
    assert_eq!(after.count().await.unwrap(), 1);
    let waiting = after.deliveries().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].revision, 2);
    after.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_refused_log_writes_nothing() {
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    let huge = call("1", json!({ "note": "x".repeat(3 * 1024 * 1024) }));
    let err = journal
        .log_call(&huge, nobody(), &hooks())
        .await
        .unwrap_err();
    assert!(err.0.contains("Nothing was logged"), "{}", err.0);
    assert_eq!(journal.count().await.unwrap(), 0);
    assert!(journal.deliveries().await.unwrap().is_empty());
    // A 1 MB note is kept whole.
    let big = call("2", json!({ "note": "y".repeat(1024 * 1024) }));
    journal
        .log_call(&big, nobody(), &Destinations::default())
        .await
        .unwrap();
    let entry = journal.entry("call:2").await.unwrap().unwrap();
    assert_eq!(entry.note.unwrap().len(), 1024 * 1024);
    journal.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn messages_are_one_entry_per_conversation_day_without_duplicates() {
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    let day = |ids: &[u64]| -> MessageLog {
        let messages: Vec<_> = ids
            .iter()
            .map(|id| json!({ "id": id, "creationTime": *id as f64, "subject": "hi" }))
            .collect();
        serde_json::from_value(
            json!({ "conversation": { "conversationLogId": "80001/11/25/2026",
            "conversationId": "80001", "messages": messages } }),
        )
        .unwrap()
    };
    journal
        .log_message(&day(&[1, 2]), nobody(), &Destinations::default())
        .await
        .unwrap();
    journal
        .log_message(&day(&[2, 3]), nobody(), &Destinations::default())
        .await
        .unwrap();
    journal
        .log_message(&day(&[1, 2, 3]), nobody(), &Destinations::default())
        .await
        .unwrap();
    let entry = journal
        .entry("messages:80001/11/25/2026")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.messages.len(), 3);
    assert_eq!(entry.revision, 2, "the re-send changed nothing");
    let matched = journal
        .message_log_matches(&["80001/11/25/2026".into()])
        .await
        .unwrap();
    assert_eq!(
        matched["80001/11/25/2026"][0].id,
        "messages:80001/11/25/2026"
    );
    journal.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn deliveries_settle_only_for_the_revision_sent() {
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    journal
        .log_call(&call("7", json!({})), erin(), &hooks())
        .await
        .unwrap();
    let sent = journal
        .due_deliveries(js_sys::Date::now() + 1.0, 10)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    // While it is on its way, the call changes: the newer revision replaces it in the outbox.
    let update = call("7", json!({ "note": "later" }));
    journal.log_call(&update, nobody(), &hooks()).await.unwrap();
    journal.settle(&sent[0], Verdict::Delivered).await.unwrap();
    let waiting = journal.deliveries().await.unwrap();
    assert_eq!(
        waiting.len(),
        1,
        "the newer revision is still to be delivered"
    );
    assert_eq!(waiting[0].revision, 2);
    // The status view leaves the body in the database, and only the body.
    assert!(!waiting[0].body.is_empty());
    let status = journal.deliveries_without_bodies().await.unwrap();
    assert_eq!(status, vec![waiting[0].without_body()]);
    assert!(
        !journal.deliveries().await.unwrap()[0].body.is_empty(),
        "kept whole"
    );

    // A failure keeps it with a later due time; a refusal stops it for the user.
    let now = js_sys::Date::now();
    let failed = waiting[0].after_attempt(&AttemptResult::Status(503), now);
    journal.settle(&waiting[0], failed).await.unwrap();
    assert!(journal
        .due_deliveries(now + 1.0, 10)
        .await
        .unwrap()
        .is_empty());
    let kept = journal.deliveries().await.unwrap();
    assert_eq!(kept[0].attempts, 1);
    let refused = kept[0].after_attempt(&AttemptResult::Status(401), now);
    journal.settle(&kept[0], refused).await.unwrap();
    let stopped = journal.deliveries().await.unwrap();
    assert_eq!(stopped[0].state, DeliveryState::Stopped);
    // The status reading also gives the matchers their line for this call.
    journal.deliveries_without_bodies().await.unwrap();
    let line = journal.delivery_status_line(&stopped[0].entry_key);
    assert_eq!(line.map(|l| l["type"].clone()), Some(json!("status")));
    assert!(journal
        .due_deliveries(f64::MAX, 10)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(journal.retry(&[], now).await.unwrap(), 1);
    assert_eq!(
        journal.due_deliveries(now + 1.0, 10).await.unwrap().len(),
        1
    );
    assert_eq!(journal.discard(&[stopped[0].key.clone()]).await.unwrap(), 1);
    assert!(journal.deliveries().await.unwrap().is_empty());
    assert_eq!(
        journal.count().await.unwrap(),
        1,
        "the journal keeps the entry"
    );
    journal.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn forgetting_a_site_removes_its_logs_and_their_deliveries_only() {
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    journal
        .log_call(&call("mine", json!({})), erin(), &hooks())
        .await
        .unwrap();
    let other = ContactLink::Named(LoggedContact {
        id: Some("x-1".into()),
        site: Some("https://other.example.com".into()),
        ..LoggedContact::default()
    });
    journal
        .log_call(&call("theirs", json!({})), other, &hooks())
        .await
        .unwrap();
    // Known to the matcher before: forgetting must not leave it answering from memory.
    assert_eq!(
        journal
            .call_log_matches(&["mine".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    let forgotten = journal
        .forget_site("https://crm.example.com")
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    assert!(journal
        .call_log_matches(&["mine".into()])
        .await
        .unwrap()
        .is_empty());
    assert!(journal.entry("call:theirs").await.unwrap().is_some());
    assert!(
        journal.deliveries().await.unwrap().is_empty(),
        "its webhook's deliveries went too"
    );
    journal.close();
    Rexie::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_exported_journal_imports_once_into_another_browser_without_deliveries() {
    // "Another browser": the entries exported from one journal, imported into a fresh one.
    let (from, to) = (fresh_name(), fresh_name());
    let old = StoreJournal::new(&from);
    old.log_call(
        &call("moved", json!({ "note": "kept <b>as text</b>" })),
        erin(),
        &hooks(),
    )
    .await
    .unwrap();
    let text = crm_bridge::logging::journal_view::journal_json(&[old
        .entry("call:moved")
        .await
        .unwrap()
        .unwrap()]);
    old.close();
    let entries = crm_bridge::logging::journal_import::read_journal_file(&text).unwrap();
    let new = StoreJournal::new(&to);
    new.log_call(&call("here", json!({})), nobody(), &hooks())
        .await
        .unwrap();
    // Asked before the import: the matcher now knows "moved" as not logged.
    assert!(new
        .call_log_matches(&["moved".into()])
        .await
        .unwrap()
        .is_empty());
    let first = new.import_entries(entries.clone()).await.unwrap();
    assert_eq!((first.added, first.kept), (1, 0));
    let again = new.import_entries(entries).await.unwrap();
    assert_eq!((again.added, again.kept), (0, 1));
    let matched = new.call_log_matches(&["moved".into()]).await.unwrap();
    assert_eq!(
        matched["moved"][0].note.as_deref(),
        Some("kept <b>as text</b>")
    );
    new.close();
    // Durable for a new connection, and only the entry logged here waits for delivery.
    let reopened = StoreJournal::new(&to);
    let moved = reopened.entry("call:moved").await.unwrap().unwrap();
    assert_eq!(moved.contact.name.as_deref(), Some("Erin Example"));
    let waiting = reopened.deliveries().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].entry_key, "call:here");
    reopened.close();
    Rexie::delete(&from).await.unwrap();
    Rexie::delete(&to).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_journal_reads_newest_first_by_date_and_searches_past_a_batch() {
    use crm_bridge::logging::journal_view::JournalQuery;
    use crm_bridge::logging::merge::merge_call;
    use crm_bridge::store::journal::JOURNAL_BATCH;
    const START: f64 = 1_795_618_200_000.0;
    const MINUTE: f64 = 60_000.0;
    let count = 1_200;
    assert!(
        count > 2 * JOURNAL_BATCH as usize,
        "the search must read past two batches"
    );
    // One call a minute; every 400th (7, 407, 807) says "needle". Calls 600 to 899 share
    // minute 600, so a read window ends inside a run of equal times (the 500th newest is 700).
    let entries = (0..count)
        .map(|i| {
            let note = if i % 400 == 7 { "needle in the notes" } else { "routine call" };
            let minute = if (600..900).contains(&i) { 600 } else { i };
            let log = call(
                "unused",
                json!({ "note": note, "call": { "sessionId": format!("j-{i}"), "direction": "Inbound",
                    "from": { "phoneNumber": "+12125550199" }, "startTime": START + minute as f64 * MINUTE } }),
            );
            merge_call(None, &log, nobody(), START).unwrap().entry
        })
        .collect();
    let name = fresh_name();
    let journal = StoreJournal::new(&name);
    assert_eq!(journal.import_entries(entries).await.unwrap().added, count);
    let ask = |text: &str, from: Option<u32>, to: Option<u32>, limit: usize| JournalQuery {
        text: text.into(),
        from: from.map(|m| START + f64::from(m) * MINUTE),
        to: to.map(|m| START + f64::from(m) * MINUTE),
        limit,
    };
    let sessions = |entries: Vec<crm_bridge::logging::entry::JournalEntry>| {
        entries
            .into_iter()
            .map(|e| e.key.trim_start_matches("call:").to_owned())
            .collect::<Vec<_>>()
    };

    let newest = sessions(journal.journal(&ask("", None, None, 3)).await.unwrap());
    assert_eq!(newest, ["j-1199", "j-1198", "j-1197"]);
    let range = sessions(
        journal
            .journal(&ask("", Some(100), Some(200), 500))
            .await
            .unwrap(),
    );
    assert_eq!(range.len(), 100, "from inclusive, to exclusive");
    assert_eq!((range[0].as_str(), range[99].as_str()), ("j-199", "j-100"));
    let found = sessions(
        journal
            .journal(&ask("needle", None, None, 10))
            .await
            .unwrap(),
    );
    assert_eq!(found, ["j-807", "j-407", "j-7"], "past the first batches");
    let two = sessions(
        journal
            .journal(&ask("needle", None, None, 2))
            .await
            .unwrap(),
    );
    assert_eq!(two, ["j-807", "j-407"]);
    let dated = sessions(
        journal
            .journal(&ask("NEEDLE", Some(300), Some(807), 10))
            .await
            .unwrap(),
    );
    assert_eq!(dated, ["j-807", "j-407"], "807 is logged at minute 600");
    let all = sessions(journal.journal(&ask("", None, None, 5_000)).await.unwrap());
    let distinct: std::collections::BTreeSet<&String> = all.iter().collect();
    assert_eq!(
        (all.len(), distinct.len()),
        (count, count),
        "every entry once"
    );
    assert!(journal
        .journal(&ask("", Some(5), Some(5), 10))
        .await
        .unwrap()
        .is_empty());
    assert!(journal
        .journal(&ask("", Some(9), Some(5), 10))
        .await
        .unwrap()
        .is_empty());
    journal.close();
    Rexie::delete(&name).await.unwrap();
}
