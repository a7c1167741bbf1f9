//! Typed request bodies, exactly as the widget sends them (protocol.md §4; recorded bodies in
//! `tests/fixtures/widget/`). Unknown fields are ignored, optional ones default, and where the
//! seed and the current widget differ both forms are read.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `contactsPath` (§4.1): `{page, syncTimestamp, type?}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactsQuery {
    /// 1 on the first request, then the `nextPage` we returned (a sequence number).
    #[serde(default = "first_page", deserialize_with = "page_number")]
    pub page: u64,
    /// Our change cursor from the last sync, or `None` for a full sync.
    #[serde(default, deserialize_with = "cursor")]
    pub sync_timestamp: Option<u64>,
    /// `manual` (refresh button), `api` (after our re-sync trigger), or absent.
    #[serde(default, rename = "type")]
    pub trigger: Option<String>,
}

fn first_page() -> u64 {
    1
}

/// The widget echoes our `nextPage`; accept a number or a numeric string, else page 1.
fn page_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(match value {
        Value::Number(n) => n.as_u64().unwrap_or(1),
        Value::String(s) => s.parse().unwrap_or(1),
        _ => 1,
    }
    .max(1))
}

/// Our cursor is a number; anything else (null, a foreign string) means "full sync".
fn cursor<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

/// `contactSearchPath` (§4.2): `{searchString}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactSearch {
    /// What the user typed (never empty from the widget).
    pub search_string: String,
}

/// `contactMatchPath` (§4.3): `{phoneNumbers, callerIds?, triggerFrom?}` (the seed sends only
/// `phoneNumbers`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactMatch {
    /// The numbers to match, answered under exactly these keys.
    pub phone_numbers: Vec<String>,
    /// Caller-ID names from call history, by number.
    #[serde(default)]
    pub caller_ids: Map<String, Value>,
    /// `manual` when the user pressed "refresh contact".
    #[serde(default)]
    pub trigger_from: Option<String>,
}

/// `activitiesPath` (§4.5): `{contact}` (the seed documented the contact as the whole body).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitiesQuery {
    /// The contact's id.
    pub contact_id: String,
}

impl ActivitiesQuery {
    /// Reads `body.contact.id`, or `body.id` for the seed's form.
    pub fn from_body(body: &Value) -> Option<Self> {
        let contact = body.get("contact").unwrap_or(body);
        let id = contact.get("id").and_then(Value::as_str)?;
        Some(Self {
            contact_id: id.to_owned(),
        })
    }
}

/// `callLoggerPath` (§4.6): the call plus why the widget sends it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLog {
    /// The widget's call record; `sessionId` identifies the call across updates.
    pub call: CallRecord,
    /// `createLog`, `editLog`, `logForm`, `presenceUpdate`, `callLogSync`, …
    #[serde(default)]
    pub trigger_type: Option<String>,
    /// The user's note from the log page.
    #[serde(default)]
    pub note: Option<String>,
    /// The contact chosen for an inbound call.
    #[serde(default)]
    pub from_entity: Option<Value>,
    /// The contact chosen for an outbound call.
    #[serde(default)]
    pub to_entity: Option<Value>,
    /// Custom log-page fields.
    #[serde(default)]
    pub form_data: Option<Value>,
    /// The AI note (SmartNotes) of an ended call.
    #[serde(default)]
    pub ai_note: Option<String>,
    /// The call's transcript.
    #[serde(default)]
    pub transcript: Option<String>,
}

/// The fields of the widget's call record the logging rules read; the rest stays in `other`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// Stable id of the call across updates.
    pub session_id: String,
    /// `Inbound` or `Outbound`.
    #[serde(default)]
    pub direction: Option<String>,
    /// ms since the epoch.
    #[serde(default)]
    pub start_time: Option<f64>,
    /// Seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// `Call connected`, `Missed`, … (falls back to `telephonyStatus`).
    #[serde(default)]
    pub result: Option<String>,
    /// Everything else the widget sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CallLog {
    /// The chosen contact's id: `fromEntity` for inbound, `toEntity` for outbound calls.
    pub fn contact_id(&self) -> Option<String> {
        [&self.from_entity, &self.to_entity]
            .into_iter()
            .find_map(|entity| entity.as_ref()?.get("id")?.as_str().map(str::to_owned))
    }

    /// The other party's number: the callee of an outbound call, else the caller.
    pub fn other_party_number(&self) -> Option<String> {
        let side = match self.call.direction.as_deref() {
            Some("Outbound") => "to",
            _ => "from",
        };
        let number = self.call.other.get(side)?.get("phoneNumber")?.as_str()?;
        Some(number.to_owned())
    }

    /// Whether the user pressed Log or Edit (our form, if the site has one, is shown then).
    pub fn opens_log_form(&self) -> bool {
        matches!(self.trigger_type.as_deref(), Some("createLog" | "editLog"))
    }

    /// The note: the log page's `note`, else the custom form's note field.
    pub fn note_text(&self) -> Option<String> {
        self.note.clone().or_else(|| {
            let note = self.form_data.as_ref()?.get("note")?.as_str()?;
            Some(note.to_owned())
        })
    }
}

/// `callLogEntityMatcherPath` (§4.7): `{sessionIds, activeSessionIds?}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLogMatch {
    /// Calls to look up.
    pub session_ids: Vec<String>,
    /// The subset still live (current widget only).
    #[serde(default)]
    pub active_session_ids: Vec<String>,
}

/// `messageLoggerPath` (§4.9): one conversation-day.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageLog {
    /// The conversation-day with its messages.
    pub conversation: ConversationDay,
    /// `manual`, `auto` or `logForm`.
    #[serde(default)]
    pub trigger_type: Option<String>,
    /// The contact the user (or auto-log, on a single match) chose for the correspondent.
    #[serde(default)]
    pub correspondent_entity: Option<Value>,
    /// The message-log page's fields (a `logForm` save), note included.
    #[serde(default)]
    pub form_data: Option<Value>,
}

impl MessageLog {
    /// The chosen contact's id.
    pub fn contact_id(&self) -> Option<String> {
        let id = self.correspondent_entity.as_ref()?.get("id")?;
        id.as_str().map(str::to_owned)
    }

    /// The correspondent's number.
    pub fn correspondent_number(&self) -> Option<String> {
        let first = self.conversation.other.get("correspondents")?.get(0)?;
        Some(first.get("phoneNumber")?.as_str()?.to_owned())
    }

    /// The note typed on the message-log page.
    pub fn note_text(&self) -> Option<String> {
        let note = self.form_data.as_ref()?.get("note")?.as_str()?;
        Some(note.to_owned())
    }
}

/// A conversation's messages of one day, as the widget groups them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDay {
    /// `<conversationId>/<date>`: the log's identity.
    pub conversation_log_id: String,
    /// The messages of that day (ids de-duplicate re-sends).
    #[serde(default)]
    pub messages: Vec<Value>,
    /// Everything else the widget sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `messageLogEntityMatcherPath` (§4.10): `{conversationLogIds}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageLogMatch {
    /// Conversation-days to look up.
    pub conversation_log_ids: Vec<String>,
}

/// `settingsPath` (§4.12): the whole updated list and the item that changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SettingsChange {
    /// Every item, with the user's values.
    pub settings: Vec<Value>,
    /// The changed item (or section).
    #[serde(default)]
    pub setting: Option<Value>,
}

/// `buttonEventPath` (§4.13): `{button: {id, type, …}, resource?}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ButtonEvent {
    /// Which button.
    pub button: ButtonRef,
}

/// The identity of a pressed button.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ButtonRef {
    /// Our button id (or a page id for submits).
    pub id: String,
    /// `setting`, `submit`, `button`, `smsToolbar`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// A banner's close button (rather than its action).
    #[serde(default)]
    pub dismissed: bool,
}

/// `authorizationPath` (§5): `{authorized: current state}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuthorizationPress {
    /// Whether the widget currently shows us as authorized.
    #[serde(default)]
    pub authorized: bool,
}

/// `doNotContactPath` (§4.20): a call (`phoneNumber`) or an SMS (`recipients[]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoNotContactCheck {
    /// `call` or `sms`.
    #[serde(default)]
    pub action_type: Option<String>,
    /// The number being called.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The SMS recipients.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

/// One SMS recipient of a do-not-contact check.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The recipient's number.
    pub phone_number: String,
}

impl DoNotContactCheck {
    /// Every number the action would reach.
    pub fn numbers(&self) -> Vec<String> {
        self.phone_number
            .iter()
            .cloned()
            .chain(self.recipients.iter().map(|r| r.phone_number.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contacts_query_accepts_what_the_widget_echoes() {
        let q: ContactsQuery =
            serde_json::from_value(json!({"page": 1, "syncTimestamp": null})).unwrap();
        assert_eq!((q.page, q.sync_timestamp), (1, None));
        let q: ContactsQuery =
            serde_json::from_value(json!({"page": "3", "syncTimestamp": 42, "type": "manual"}))
                .unwrap();
        assert_eq!(
            (q.page, q.sync_timestamp, q.trigger.as_deref()),
            (3, Some(42), Some("manual"))
        );
        let q: ContactsQuery = serde_json::from_value(json!({})).unwrap();
        assert_eq!(q.page, 1);
    }

    #[test]
    fn contact_match_reads_the_seed_and_the_current_form() {
        let seed: ContactMatch =
            serde_json::from_value(json!({"phoneNumbers": ["+1650"]})).unwrap();
        assert!(seed.caller_ids.is_empty());
        let now: ContactMatch = serde_json::from_value(
            json!({"phoneNumbers": ["+1650"], "callerIds": {"+1650": "X"}, "triggerFrom": "manual"}),
        )
        .unwrap();
        assert_eq!(now.trigger_from.as_deref(), Some("manual"));
    }

    #[test]
    fn activities_read_the_contact_in_either_place() {
        let current = ActivitiesQuery::from_body(&json!({"contact": {"id": "c1"}})).unwrap();
        let seed = ActivitiesQuery::from_body(&json!({"id": "c1", "name": "x"})).unwrap();
        assert_eq!(current, seed);
        assert!(ActivitiesQuery::from_body(&json!({})).is_none());
    }

    #[test]
    fn do_not_contact_collects_call_and_sms_numbers() {
        let call: DoNotContactCheck =
            serde_json::from_value(json!({"actionType": "call", "phoneNumber": "+1"})).unwrap();
        assert_eq!(call.numbers(), vec!["+1"]);
        let sms: DoNotContactCheck = serde_json::from_value(
            json!({"actionType": "sms", "recipients": [{"phoneNumber": "+2"}, {"phoneNumber": "+3"}]}),
        )
        .unwrap();
        assert_eq!(sms.numbers(), vec!["+2", "+3"]);
    }
}
