//! Every request the real widget sent (recorded in `tests/fixtures/widget/`) replayed through
//! the background core: each gets exactly one answer with its id, valid against the response
//! schema the widget simulator also uses; plus the error cases a hostile or broken sender makes.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/schema.rs"]
mod schema;

use crm_bridge::background::BackgroundCore;
use crm_bridge::contacts::Contact;
use crm_bridge::protocol::bridge::{Reply, ToBackground};
use crm_bridge::test_support::{admitted_caller, block_on};
use serde_json::{json, Value};
use std::path::Path;

fn recorded() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/widget");
    let mut files: Vec<_> = ["", "calls"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut requests = Vec::new();
    for path in files {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (Some(key), Some(list)) = (
            fixture["registrationKey"].as_str(),
            fixture["requests"].as_array(),
        ) else {
            continue;
        };
        requests.extend(list.iter().map(|item| (key.to_owned(), item.clone())));
    }
    requests
}

/// A core knowing the contacts the recorded test service answered with.
fn core_with_recorded_contacts() -> BackgroundCore {
    let core = BackgroundCore::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/widget");
    let sync: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("contactsPath.json")).unwrap())
            .unwrap();
    for item in sync["requests"][0]["acceptedResponse"]["response"]["data"]
        .as_array()
        .unwrap()
    {
        let contact: Contact = serde_json::from_value(item.clone()).unwrap();
        core.router().contacts().upsert(contact);
    }
    core
}

fn answers(core: &BackgroundCore, message: Value) -> Vec<Value> {
    let caller = admitted_caller(core);
    match block_on(core.handle(ToBackground::FromWidget { message }, &caller)).reply {
        Reply::ToWidget { messages } => messages.iter().map(|m| m.value()).collect(),
        other => panic!("expected widget messages, got {other:?}"),
    }
}

#[test]
fn every_recorded_request_gets_one_valid_answer_with_its_id() {
    let schemas = schema::Schemas::load();
    let core = core_with_recorded_contacts();
    let requests = recorded();
    assert!(
        requests.len() >= 60,
        "only {} recorded requests found",
        requests.len()
    );
    for (key, item) in requests {
        let request = &item["request"];
        // The schema must accept what the real widget accepted, or it checks the wrong thing.
        let accepted = schema::Schemas::check_answer(&schemas, &key, &item["acceptedResponse"]);
        assert!(
            accepted.is_empty(),
            "{key}: schema rejects the recorded answer: {accepted:?}"
        );
        let ours = answers(&core, request.clone());
        let answer = &ours[0];
        assert_eq!(answer["responseId"], request["requestId"], "{key}");
        let problems = schemas.check_answer(&key, answer);
        assert!(
            problems.is_empty(),
            "{key} {}: {problems:?}\n{answer}",
            request["path"]
        );
        assert!(answer["response"].get("error").is_none(), "{key}: {answer}");
    }
}

#[test]
fn contact_matches_agree_with_what_the_widget_accepted() {
    let core = core_with_recorded_contacts();
    let mut compared = 0;
    for (key, item) in recorded()
        .into_iter()
        .filter(|(k, _)| k == "contactMatchPath")
    {
        let ours = answers(&core, item["request"].clone());
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&ours[0]["response"]["data"]),
            keys(&item["acceptedResponse"]["response"]["data"]),
            "{key}: {}",
            item["request"]["body"]
        );
        compared += 1;
    }
    assert!(compared >= 5);
}

fn request(path: &str, body: Value) -> Value {
    json!({ "type": "rc-post-message-request", "requestId": "bad-1", "path": path, "body": body })
}

fn error_of(answer: &Value) -> String {
    answer["response"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn broken_requests_get_error_answers_never_silence() {
    let core = core_with_recorded_contacts();
    // wrong types
    let wrong = answers(
        &core,
        request("/contacts/match", json!({ "phoneNumbers": "+1650" })),
    );
    assert!(
        error_of(&wrong[0]).contains("/contacts/match"),
        "{}",
        wrong[0]
    );
    assert!(wrong[0]["response"]
        .as_object()
        .unwrap()
        .contains_key("data"));
    // unknown path, 1 MB long: answered, and the echo is cut
    let long_path = format!("/{}", "x".repeat(1 << 20));
    let unknown = answers(&core, request(&long_path, json!({})));
    assert!(error_of(&unknown[0]).len() < 1_000);
    // 1 MB search string: answered normally
    let search = answers(
        &core,
        request(
            "/contacts/search",
            json!({ "searchString": "9".repeat(1 << 20) }),
        ),
    );
    assert_eq!(search[0]["response"]["data"], json!([]));
    // a request with no id cannot be answered, and is not a crash
    let no_id = json!({ "type": "rc-post-message-request", "path": "/contacts/match" });
    assert!(answers(&core, no_id).is_empty());
    // a request id of the wrong type is a malformed request without an id to answer
    let numeric_id = json!({ "type": "rc-post-message-request", "requestId": 5, "path": "/x" });
    assert!(answers(&core, numeric_id).is_empty());
    // too many numbers
    let many: Vec<String> = (0..5_000).map(|i| format!("+1650555{i:04}")).collect();
    let flood = answers(
        &core,
        request("/contacts/match", json!({ "phoneNumbers": many })),
    );
    assert!(error_of(&flood[0]).contains("too many numbers"));
}

#[test]
fn duplicate_request_ids_are_each_answered() {
    let core = core_with_recorded_contacts();
    let message = request(
        "/contacts/match",
        json!({ "phoneNumbers": ["+14155550123"] }),
    );
    let first = answers(&core, message.clone());
    let second = answers(&core, message);
    assert_eq!(first, second);
    assert_eq!(
        first[0]["response"]["data"]["+14155550123"][0]["name"],
        "Bob Buyer"
    );
}

#[test]
fn deeply_nested_bodies_are_refused_with_an_answer() {
    let core = core_with_recorded_contacts();
    let mut body = json!({ "phoneNumbers": ["+1"] });
    for _ in 0..100 {
        body = json!({ "nested": body });
    }
    let answer = answers(&core, request("/contacts/match", body));
    assert!(error_of(&answer[0]).contains("cannot be read"));
}

#[test]
fn the_schema_rejects_answers_the_widget_would_misread() {
    let schemas = schema::Schemas::load();
    let envelope = |response: Value| json!({ "type": "rc-post-message-response", "responseId": "r", "response": response });
    let bad = [
        (
            "contactsPath",
            envelope(json!({ "data": [{ "name": "no id" }], "syncTimestamp": 1 })),
        ),
        ("contactsPath", envelope(json!({ "data": [] }))),
        ("contactMatchPath", envelope(json!({ "data": [] }))),
        (
            "contactMatchPath",
            envelope(json!({ "data": { "+1": [{ "id": 7 }] } })),
        ),
        (
            "callLogEntityMatcherPath",
            envelope(json!({ "data": { "s1": [{ "note": "no id" }] } })),
        ),
        (
            "doNotContactPath",
            envelope(json!({ "data": { "result": "yes" } })),
        ),
        ("settingsPath", envelope(json!({ "ok": true }))),
        (
            "settingsPath",
            json!({ "type": "rc-post-message-request", "responseId": "r", "response": { "data": 1 } }),
        ),
    ];
    for (key, answer) in bad {
        assert!(
            !schemas.check_answer(key, &answer).is_empty(),
            "{key} accepted {answer}"
        );
    }
}

#[test]
fn every_recorded_widget_event_reads_as_its_typed_variant() {
    use crm_bridge::protocol::events::WidgetEvent;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/widget");
    let mut events: Vec<Value> = Vec::new();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("widget-events.json")).unwrap())
            .unwrap();
    for entry in summary.as_object().unwrap().values() {
        events.extend([entry["first"].clone(), entry["last"].clone()]);
    }
    for entry in std::fs::read_dir(dir.join("calls")).unwrap() {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        if let Some(instances) = fixture["instances"].as_array() {
            events.extend(instances.iter().map(|i| i["data"].clone()));
        }
    }
    let typed = [
        "rc-login-status-notify",
        "rc-call-ring-notify",
        "rc-call-init-notify",
        "rc-call-start-notify",
        "rc-call-end-notify",
        "rc-active-call-notify",
        "rc-message-updated-notify",
        "rc-inbound-message-notify",
        "rc-route-changed-notify",
        "rc-callLogger-auto-log-notify",
        "rc-messageLogger-auto-log-notify",
    ];
    let mut seen = 0;
    for event in &events {
        let kind = event["type"].as_str().unwrap();
        let read = WidgetEvent::read(event).unwrap_or_else(|| panic!("{kind} unreadable"));
        if typed.contains(&kind) {
            assert!(
                !matches!(read, WidgetEvent::Other(_)),
                "{kind} fell back to Other: {event}"
            );
            seen += 1;
        }
    }
    assert!(seen >= 20, "only {seen} typed events recorded");
}
