//! A journal entry: one call (all its updates) or one conversation-day of messages, as it is
//! kept in IndexedDB, shown in the options page and delivered to destinations.
//!
//! The shape is ours, not the widget's: the widget's call and message records carry dozens of
//! fields that change between releases; the journal keeps the ones a CRM needs, named once,
//! documented in `docs/logging.md`, so the webhook body does not change with the widget.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A note longer than this is refused with a clear answer (1 MB notes are kept whole).
pub const MAX_NOTE_BYTES: usize = 2 * 1024 * 1024;
/// A conversation-day keeps at most this many messages (a re-send adds nothing twice).
pub const MAX_MESSAGES: usize = 5_000;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryKind {
    /// One call, identified by the widget's `sessionId`.
    Call,
    /// One conversation's messages of one day, identified by `conversationLogId`.
    Messages,
}

/// One side of a call or conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Party {
    /// E.164 where the widget gave it so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The name the phone system knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An internal extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_number: Option<String>,
}

/// The call facts the journal keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CallFacts {
    /// The widget's `sessionId`.
    pub session_id: String,
    /// `Inbound` or `Outbound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Caller.
    pub from: Party,
    /// Callee.
    pub to: Party,
    /// Seconds, as last reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// `Call connected`, `Missed`, `Voicemail`, … as last reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Where the recording can be played (the media-reader link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_link: Option<String>,
    /// The recording's content URI (with a short-lived token when `recordingWithToken` is on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_uri: Option<String>,
    /// The AI note (SmartNotes), when the user has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_note: Option<String>,
    /// The transcript, when the user has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
}

/// One message of a conversation-day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoggedMessage {
    /// The widget's message id (a re-send with the same id adds nothing).
    pub id: String,
    /// `Inbound` or `Outbound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// `SMS`, `Pager`, `VoiceMail`, `Fax`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// The text (for SMS) or subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// Voicemail transcript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// Attachment links (voicemail audio, fax pages, MMS images).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A message attachment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Attachment {
    /// Where a person can open it (media reader).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The content URI (with a token when `attachmentWithToken` is on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// MIME or the widget's attachment type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// Who the entry is logged against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoggedContact {
    /// Our contact id (as the widget knows it); `None` = unknown caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name, as the contact or the widget gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The contact's site (where its deliveries go).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The contact's CRM record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_url: Option<String>,
    /// Why the entry is not linked to a contact, when it is not (shown in the journal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlinked_because: Option<String>,
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// `call:<sessionId>` or `messages:<conversationLogId>`: the IndexedDB key and the id the
    /// widget's log matchers get back.
    pub key: String,
    /// Call or messages.
    pub kind: EntryKind,
    /// The contact's id, top level so IndexedDB can index it (activities); absent = unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// Who it is logged against.
    #[serde(default)]
    pub contact: LoggedContact,
    /// When the call started or the day's first message came (ms since the epoch).
    pub time: f64,
    /// When this entry last changed (ms since the epoch, wall clock).
    pub updated: f64,
    /// Counts changes; each revision is delivered once to each destination.
    pub revision: u32,
    /// The user's note (stored and shown as text, never as HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The site's call-log form, as the user filled it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Value>,
    /// The call, for call entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<CallFacts>,
    /// The conversation id, for message entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// The messages, for message entries, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<LoggedMessage>,
    /// The other party's number, for searching the journal and matching a contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

impl JournalEntry {
    /// The key of a call's entry (the id as the widget sent it, surrounding blanks ignored,
    /// the same for writes and for the matcher).
    pub fn call_key(session_id: &str) -> String {
        format!("call:{}", session_id.trim())
    }

    /// The key of a conversation-day's entry (blanks ignored, as for calls).
    pub fn messages_key(conversation_log_id: &str) -> String {
        format!("messages:{}", conversation_log_id.trim())
    }

    /// The event name destinations get: `call.logged` or `messages.logged`.
    pub fn event(&self) -> &'static str {
        match self.kind {
            EntryKind::Call => "call.logged",
            EntryKind::Messages => "messages.logged",
        }
    }

    /// The line the widget's Activities list and the journal show.
    pub fn subject(&self) -> String {
        match (&self.call, self.kind) {
            (Some(call), _) => {
                let direction = call.direction.as_deref().unwrap_or("Call");
                let result = call.result.as_deref().unwrap_or("logged");
                match call.duration {
                    Some(seconds) if seconds > 0.0 => {
                        let seconds = seconds.round() as u64;
                        format!(
                            "{direction} call · {result} · {}:{:02}",
                            seconds / 60,
                            seconds % 60
                        )
                    }
                    _ => format!("{direction} call · {result}"),
                }
            }
            _ => match self.messages.len() {
                1 => "1 message".into(),
                n => format!("{n} messages"),
            },
        }
    }
}
