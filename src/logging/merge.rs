//! How a widget log request becomes (or changes) a journal entry.
//!
//! - A call is one entry whatever the number of requests: every update of the same `sessionId`
//!   (auto-log presence updates, the call-log sync at the end, the user's note) is folded into
//!   it; a fact the update does not carry keeps its logged value.
//! - A conversation-day is one entry; its messages are de-duplicated by message id, so a
//!   re-send adds nothing twice.
//! - An entry that an update does not change keeps its revision: nothing is written, nothing
//!   is delivered again.

use super::entry::{
    Attachment, CallFacts, EntryKind, JournalEntry, LoggedContact, LoggedMessage, Party,
    MAX_MESSAGES, MAX_NOTE_BYTES,
};
use crate::service::requests::{CallLog, MessageLog};
use serde_json::Value;

/// Who a log request is about, as the router resolved it from the request and the store.
#[derive(Debug, Clone, PartialEq)]
pub enum ContactLink {
    /// The request named this contact (the user's choice, or the widget's single match).
    Named(LoggedContact),
    /// The request named none; the store has exactly this contact on the number.
    ByNumber(LoggedContact),
    /// Nobody, and why (shown in the journal).
    Unknown(String),
}

impl ContactLink {
    /// The contact a new entry gets, or an existing one keeps: a named contact always wins; a
    /// number match or nobody never replaces a contact the entry already has.
    pub fn apply(self, old: Option<&LoggedContact>) -> LoggedContact {
        match (self, old) {
            (ContactLink::Named(contact), _) => contact,
            (_, Some(old)) if old.id.is_some() => old.clone(),
            (ContactLink::ByNumber(contact), _) => contact,
            (ContactLink::Unknown(reason), old) => LoggedContact {
                unlinked_because: Some(reason),
                name: old.and_then(|o| o.name.clone()),
                ..LoggedContact::default()
            },
        }
    }
}

/// A log request the journal refuses, in words for the widget's error line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLog(pub String);

/// The entry after folding in a request; `changed` = a new revision to store and deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The entry to store.
    pub entry: JournalEntry,
    /// Whether anything changed (when not, nothing is written or delivered).
    pub changed: bool,
}

/// Folds a call-log request into the call's entry (`old`, if it was logged before).
pub fn merge_call(
    old: Option<&JournalEntry>,
    log: &CallLog,
    link: ContactLink,
    now: f64,
) -> Result<Merged, RefusedLog> {
    let session = log.call.session_id.trim();
    if session.is_empty() {
        return Err(RefusedLog(
            "the call has no sessionId, so it cannot be logged".into(),
        ));
    }
    let note = checked_note(log.note_text())?;
    let mut facts = old
        .and_then(|o| o.call.clone())
        .unwrap_or_else(|| CallFacts {
            session_id: session.to_owned(),
            ..CallFacts::default()
        });
    let other = &log.call.other;
    set(&mut facts.direction, log.call.direction.clone());
    set(&mut facts.duration, log.call.duration);
    set(
        &mut facts.result,
        log.call
            .result
            .clone()
            .or_else(|| text(other.get("telephonyStatus"))),
    );
    merge_party(&mut facts.from, other.get("from"), other.get("fromName"));
    merge_party(&mut facts.to, other.get("to"), other.get("toName"));
    if let Some(recording) = other.get("recording") {
        set(&mut facts.recording_link, text(recording.get("link")));
        set(&mut facts.recording_uri, text(recording.get("contentUri")));
    }
    set(&mut facts.ai_note, log.ai_note.clone());
    set(&mut facts.transcript, log.transcript.clone());
    let number = match facts.direction.as_deref() {
        Some("Outbound") => facts.to.phone_number.clone(),
        _ => facts.from.phone_number.clone(),
    };
    let contact = link.apply(old.map(|o| &o.contact));
    let time = log
        .call
        .start_time
        .filter(|t| *t > 0.0)
        .or(old.map(|o| o.time))
        .unwrap_or(now);
    let entry = JournalEntry {
        key: JournalEntry::call_key(session),
        kind: EntryKind::Call,
        contact_id: contact.id.clone(),
        contact,
        time,
        updated: now,
        revision: old.map_or(0, |o| o.revision),
        note: note.or_else(|| old.and_then(|o| o.note.clone())),
        form: non_empty(log.form_data.clone()).or_else(|| old.and_then(|o| o.form.clone())),
        call: Some(facts),
        conversation_id: None,
        messages: Vec::new(),
        number: number.or_else(|| old.and_then(|o| o.number.clone())),
    };
    Ok(finish(old, entry, now))
}

/// Folds a message-log request (one conversation-day) into its entry.
pub fn merge_messages(
    old: Option<&JournalEntry>,
    log: &MessageLog,
    link: ContactLink,
    now: f64,
) -> Result<Merged, RefusedLog> {
    let day = &log.conversation;
    let id = day.conversation_log_id.trim();
    if id.is_empty() {
        return Err(RefusedLog(
            "the conversation has no conversationLogId, so it cannot be logged".into(),
        ));
    }
    let note = checked_note(log.note_text())?;
    let mut messages = old.map(|o| o.messages.clone()).unwrap_or_default();
    for message in day.messages.iter().filter_map(read_message) {
        let count = messages.len();
        match messages.iter_mut().find(|m| m.id == message.id) {
            Some(known) => fill_message(known, message),
            None if count < MAX_MESSAGES => messages.push(message),
            None => {
                return Err(RefusedLog(format!(
                    "this conversation-day already holds {MAX_MESSAGES} messages; \
                     the new ones were not logged"
                )))
            }
        }
    }
    messages.sort_by(|a, b| {
        let (a, b) = (a.time.unwrap_or(0.0), b.time.unwrap_or(0.0));
        a.total_cmp(&b)
    });
    let number = day
        .other
        .get("correspondents")
        .and_then(|c| c.get(0))
        .and_then(|c| text(c.get("phoneNumber")));
    let contact = link.apply(old.map(|o| &o.contact));
    let first = messages.iter().filter_map(|m| m.time).reduce(f64::min);
    let creation = day.other.get("creationTime").and_then(Value::as_f64);
    let entry = JournalEntry {
        key: JournalEntry::messages_key(id),
        kind: EntryKind::Messages,
        contact_id: contact.id.clone(),
        contact,
        time: first.or(creation).or(old.map(|o| o.time)).unwrap_or(now),
        updated: now,
        revision: old.map_or(0, |o| o.revision),
        note: note.or_else(|| old.and_then(|o| o.note.clone())),
        form: non_empty(log.form_data.clone()).or_else(|| old.and_then(|o| o.form.clone())),
        call: None,
        conversation_id: text(day.other.get("conversationId"))
            .or_else(|| old.and_then(|o| o.conversation_id.clone())),
        messages,
        number: number.or_else(|| old.and_then(|o| o.number.clone())),
    };
    Ok(finish(old, entry, now))
}

/// A new revision if the entry differs from `old` in anything but its timestamps.
fn finish(old: Option<&JournalEntry>, mut entry: JournalEntry, now: f64) -> Merged {
    let changed = match old {
        None => true,
        Some(old) => {
            let mut same = entry.clone();
            same.updated = old.updated;
            same.revision = old.revision;
            &same != old
        }
    };
    match (changed, old) {
        (true, _) => {
            entry.revision += 1;
            entry.updated = now;
        }
        (false, Some(old)) => entry = old.clone(),
        (false, None) => {}
    }
    Merged { entry, changed }
}

fn checked_note(note: Option<String>) -> Result<Option<String>, RefusedLog> {
    match note {
        Some(note) if note.len() > MAX_NOTE_BYTES => Err(RefusedLog(format!(
            "the note is {:.1} MB; notes up to {} MB are kept. Nothing was logged; \
             shorten the note and log again",
            note.len() as f64 / 1_048_576.0,
            MAX_NOTE_BYTES / 1_048_576
        ))),
        other => Ok(other),
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

/// A string field (numbers, as the widget sends message ids, become their digits).
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn non_empty(form: Option<Value>) -> Option<Value> {
    form.filter(|f| f.as_object().is_some_and(|o| !o.is_empty()))
}

fn merge_party(party: &mut Party, value: Option<&Value>, name: Option<&Value>) {
    if let Some(value) = value {
        set(&mut party.phone_number, text(value.get("phoneNumber")));
        set(&mut party.name, text(value.get("name")));
        set(
            &mut party.extension_number,
            text(value.get("extensionNumber")),
        );
    }
    set(&mut party.name, text(name));
}

fn read_message(value: &Value) -> Option<LoggedMessage> {
    let attachments = value
        .get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("Text"))
                .map(|a| Attachment {
                    link: text(a.get("link")),
                    uri: text(a.get("uri")),
                    content_type: text(a.get("contentType")).or_else(|| text(a.get("type"))),
                })
                .filter(|a| a.link.is_some() || a.uri.is_some())
                .collect()
        })
        .unwrap_or_default();
    Some(LoggedMessage {
        id: text(value.get("id"))?,
        direction: text(value.get("direction")),
        message_type: text(value.get("type")),
        subject: text(value.get("subject")),
        time: value.get("creationTime").and_then(Value::as_f64),
        transcript: text(value.get("transcript")),
        attachments,
    })
}

/// A re-sent message may carry what the first sending lacked (a transcript, a link).
fn fill_message(known: &mut LoggedMessage, again: LoggedMessage) {
    set(&mut known.direction, again.direction);
    set(&mut known.message_type, again.message_type);
    set(&mut known.subject, again.subject);
    set(&mut known.time, again.time);
    set(&mut known.transcript, again.transcript);
    if !again.attachments.is_empty() {
        known.attachments = again.attachments;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(body: Value) -> CallLog {
        serde_json::from_value(body).unwrap()
    }

    fn named(id: &str) -> ContactLink {
        ContactLink::Named(LoggedContact {
            id: Some(id.into()),
            name: Some("Erin Example".into()),
            site: Some("crm.example".into()),
            ..LoggedContact::default()
        })
    }

    fn unknown() -> ContactLink {
        ContactLink::Unknown("no contact has this number".into())
    }

    #[test]
    fn updates_of_one_call_merge_into_one_entry_and_keep_what_they_do_not_carry() {
        let ring = call(
            json!({"call": {"sessionId": "777001", "direction": "Inbound",
            "from": {"phoneNumber": "+12125550199"}, "fromName": "Erin Example",
            "startTime": 1000.0, "telephonyStatus": "Ringing"}, "triggerType": "presenceUpdate"}),
        );
        let first = merge_call(None, &ring, named("crm-2"), 5.0).unwrap();
        assert!(first.changed);
        assert_eq!(first.entry.revision, 1);
        assert_eq!(first.entry.key, "call:777001");
        assert_eq!(first.entry.number.as_deref(), Some("+12125550199"));
        let call_facts = first.entry.call.as_ref().unwrap();
        assert_eq!(call_facts.result.as_deref(), Some("Ringing"));

        let end = call(
            json!({"call": {"sessionId": "777001", "duration": 63, "result": "Call connected",
            "recording": {"link": "https://media.example/r", "contentUri": "https://m/1?access_token=t"}},
            "triggerType": "callLogSync"}),
        );
        let second = merge_call(Some(&first.entry), &end, unknown(), 9.0).unwrap();
        assert!(second.changed);
        assert_eq!(second.entry.revision, 2);
        assert_eq!(
            second.entry.contact_id.as_deref(),
            Some("crm-2"),
            "an update without a contact keeps it"
        );
        let facts = second.entry.call.as_ref().unwrap();
        assert_eq!(facts.direction.as_deref(), Some("Inbound"));
        assert_eq!(facts.result.as_deref(), Some("Call connected"));
        assert_eq!(
            facts.recording_link.as_deref(),
            Some("https://media.example/r")
        );
        assert_eq!(facts.from.name.as_deref(), Some("Erin Example"));
        assert_eq!(second.entry.time, 1000.0);
        assert_eq!(
            second.entry.subject(),
            "Inbound call · Call connected · 1:03"
        );

        let note = call(
            json!({"call": {"sessionId": "777001"}, "triggerType": "logForm", "note": "<b>renewal</b>"}),
        );
        let third = merge_call(Some(&second.entry), &note, unknown(), 12.0).unwrap();
        assert_eq!(
            third.entry.note.as_deref(),
            Some("<b>renewal</b>"),
            "kept as typed"
        );
        assert_eq!(third.entry.revision, 3);
    }

    #[test]
    fn an_update_that_changes_nothing_is_not_a_new_revision() {
        let log = call(
            json!({"call": {"sessionId": "1", "direction": "Outbound", "to": {"phoneNumber": "+12125550199"}, "duration": 4}}),
        );
        let first = merge_call(None, &log, unknown(), 5.0).unwrap();
        let again = merge_call(Some(&first.entry), &log, unknown(), 50.0).unwrap();
        assert!(!again.changed);
        assert_eq!(again.entry, first.entry, "not even its timestamp moves");
    }

    #[test]
    fn a_named_contact_replaces_a_guess_but_a_guess_never_replaces_a_choice() {
        let log = call(
            json!({"call": {"sessionId": "1", "direction": "Inbound", "from": {"phoneNumber": "+12125550199"}}}),
        );
        let guessed = ContactLink::ByNumber(LoggedContact {
            id: Some("crm-7".into()),
            ..LoggedContact::default()
        });
        let first = merge_call(None, &log, guessed.clone(), 1.0).unwrap();
        assert_eq!(first.entry.contact_id.as_deref(), Some("crm-7"));
        let chosen = merge_call(Some(&first.entry), &log, named("crm-2"), 2.0).unwrap();
        assert_eq!(chosen.entry.contact_id.as_deref(), Some("crm-2"));
        let later = merge_call(Some(&chosen.entry), &log, guessed, 3.0).unwrap();
        assert_eq!(later.entry.contact_id.as_deref(), Some("crm-2"));
    }

    #[test]
    fn an_unknown_caller_is_logged_with_the_reason() {
        let log = call(json!({"call": {"sessionId": "1", "from": {"phoneNumber": "+4930123456"}}}));
        let merged = merge_call(None, &log, unknown(), 1.0).unwrap();
        assert_eq!(merged.entry.contact_id, None);
        assert_eq!(
            merged.entry.contact.unlinked_because.as_deref(),
            Some("no contact has this number")
        );
    }

    #[test]
    fn bad_calls_are_refused_in_words() {
        let empty = call(json!({"call": {"sessionId": "  "}}));
        assert!(merge_call(None, &empty, unknown(), 1.0)
            .unwrap_err()
            .0
            .contains("sessionId"));
        let huge =
            call(json!({"call": {"sessionId": "1"}, "note": "x".repeat(MAX_NOTE_BYTES + 1)}));
        assert!(merge_call(None, &huge, unknown(), 1.0)
            .unwrap_err()
            .0
            .contains("Nothing was logged"));
        let one_mb = call(json!({"call": {"sessionId": "1"}, "note": "x".repeat(1_048_576)}));
        assert_eq!(
            merge_call(None, &one_mb, unknown(), 1.0)
                .unwrap()
                .entry
                .note
                .unwrap()
                .len(),
            1_048_576
        );
    }

    fn day(messages: Value) -> MessageLog {
        serde_json::from_value(
            json!({"conversation": {"conversationLogId": "80001/11/25/2026",
            "conversationId": "80001", "creationTime": 500.0,
            "correspondents": [{"phoneNumber": "+14155550123"}], "messages": messages},
            "triggerType": "auto"}),
        )
        .unwrap()
    }

    #[test]
    fn messages_are_deduplicated_by_id_and_kept_in_time_order() {
        let first = day(
            json!([{"id": 70002, "creationTime": 20.0, "subject": "Sure", "direction": "Outbound",
            "attachments": [{"type": "Text", "uri": ""}]}]),
        );
        let merged = merge_messages(None, &first, unknown(), 1.0).unwrap();
        assert_eq!(merged.entry.messages.len(), 1);
        assert!(
            merged.entry.messages[0].attachments.is_empty(),
            "the text part is no attachment"
        );
        let again = day(
            json!([{"id": "70001", "creationTime": 10.0, "subject": "Hi"},
            {"id": 70002, "creationTime": 20.0, "subject": "Sure", "direction": "Outbound"}]),
        );
        let merged = merge_messages(Some(&merged.entry), &again, unknown(), 2.0).unwrap();
        let ids: Vec<&str> = merged
            .entry
            .messages
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, ["70001", "70002"]);
        assert_eq!(merged.entry.revision, 2);
        assert_eq!(merged.entry.time, 10.0);
        assert_eq!(merged.entry.number.as_deref(), Some("+14155550123"));
        assert_eq!(merged.entry.subject(), "2 messages");
        let resend = merge_messages(Some(&merged.entry), &again, unknown(), 3.0).unwrap();
        assert!(!resend.changed, "a re-send adds nothing");
    }

    #[test]
    fn a_voicemail_keeps_its_attachment_and_a_later_transcript() {
        let voicemail = day(json!([{"id": 9, "type": "VoiceMail", "creationTime": 5.0,
            "attachments": [{"type": "AudioRecording", "link": "https://media/vm", "uri": "https://m/vm?access_token=t"}]}]));
        let first = merge_messages(None, &voicemail, unknown(), 1.0).unwrap();
        assert_eq!(
            first.entry.messages[0].attachments[0].link.as_deref(),
            Some("https://media/vm")
        );
        let transcribed = day(json!([{"id": 9, "transcript": "call me back"}]));
        let second = merge_messages(Some(&first.entry), &transcribed, unknown(), 2.0).unwrap();
        let message = &second.entry.messages[0];
        assert_eq!(message.transcript.as_deref(), Some("call me back"));
        assert_eq!(message.attachments.len(), 1, "kept");
    }

    #[test]
    fn a_conversation_without_id_is_refused() {
        let log: MessageLog =
            serde_json::from_value(json!({"conversation": {"conversationLogId": ""}})).unwrap();
        assert!(merge_messages(None, &log, unknown(), 1.0).is_err());
    }
}
