//! Importing a journal exported as JSON (options page "Export JSON"): moving to a new browser
//! or computer keeps the history of what was logged. Imported entries are history: they are
//! matched and listed like any entry, but nothing is delivered again (their destinations had
//! them), and an entry this journal already holds is kept as it is.

use super::entry::{EntryKind, JournalEntry, MAX_MESSAGES, MAX_NOTE_BYTES};
use serde::{Deserialize, Serialize};

/// Entries sent to the background in one request (the options page shows progress between).
pub const IMPORT_CHUNK: usize = 500;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalImport {
    /// Entries added.
    pub added: usize,
    /// Entries the journal held already (left as they were).
    pub kept: usize,
}

impl JournalImport {
    /// Adds another chunk's counts.
    pub fn add(&mut self, other: JournalImport) {
        self.added += other.added;
        self.kept += other.kept;
    }
}

/// Reads an exported journal file; refused whole, naming the first wrong entry, so a damaged
/// or foreign file adds nothing.
pub fn read_journal_file(text: &str) -> Result<Vec<JournalEntry>, String> {
    let values: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|err| format!("this is not a journal exported by crm-bridge ({err})"))?;
    let mut entries = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        let entry: JournalEntry =
            serde_json::from_value(value).map_err(|err| format!("entry {}: {err}", index + 1))?;
        check_numbered(index, &entry)?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Checks entries a page sends (already read from a file by [`read_journal_file`], checked
/// again where they are written), naming the first wrong one.
pub fn check_entries(entries: &[JournalEntry]) -> Result<(), String> {
    entries
        .iter()
        .enumerate()
        .try_for_each(|(index, entry)| check_numbered(index, entry))
}

/// [`check_entry`], saying which entry of a file (counted from 1) is wrong.
fn check_numbered(index: usize, entry: &JournalEntry) -> Result<(), String> {
    check_entry(entry).map_err(|why| format!("entry {}: {why}", index + 1))
}

/// Checks what the journal's own writes guarantee: a key made from the call's session id or a
/// conversation-day id, a real time, and the size limits of notes and messages.
pub fn check_entry(entry: &JournalEntry) -> Result<(), String> {
    let key_ok = match (entry.kind, &entry.call) {
        (EntryKind::Call, Some(call)) => {
            !call.session_id.trim().is_empty()
                && entry.key == JournalEntry::call_key(&call.session_id)
        }
        (EntryKind::Call, None) => false,
        (EntryKind::Messages, _) => entry
            .key
            .strip_prefix("messages:")
            .is_some_and(|id| !id.trim().is_empty() && id.trim() == id),
    };
    if !key_ok {
        return Err(format!(
            "the key \"{}\" does not fit the entry",
            entry.key.chars().take(80).collect::<String>()
        ));
    }
    if !entry.time.is_finite() || entry.time <= 0.0 || !entry.updated.is_finite() {
        return Err("its time is not a date".into());
    }
    if entry
        .note
        .as_ref()
        .is_some_and(|n| n.len() > MAX_NOTE_BYTES)
    {
        return Err("its note is longer than 2 MB".into());
    }
    if entry.messages.len() > MAX_MESSAGES {
        return Err(format!("it holds more than {MAX_MESSAGES} messages"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::journal_view::journal_json;
    use serde_json::json;

    fn call(id: &str) -> JournalEntry {
        serde_json::from_value(json!({
            "key": format!("call:{id}"), "kind": "call", "time": 1.7e12, "updated": 1.7e12,
            "revision": 2, "note": "<b>kept as text</b>",
            "call": { "sessionId": id, "direction": "Inbound", "from": { "phoneNumber": "+4930123456" } }
        }))
        .unwrap()
    }

    #[test]
    fn an_export_reads_back_whole() {
        let day: JournalEntry = serde_json::from_value(json!({
            "key": "messages:c-1/11/25/2026", "kind": "messages", "time": 1.7e12, "updated": 1.7e12,
            "revision": 1, "messages": [{ "id": "7", "direction": "Inbound", "subject": "hi" }]
        }))
        .unwrap();
        let entries = vec![call("s-1"), day];
        assert_eq!(read_journal_file(&journal_json(&entries)).unwrap(), entries);
        assert_eq!(read_journal_file("[]").unwrap(), vec![]);
    }

    #[test]
    fn a_damaged_or_foreign_file_is_refused_naming_the_entry() {
        let mut wrong_key = call("s-2");
        wrong_key.key = "call:someone-else".into();
        let mut no_time = call("s-3");
        no_time.time = 0.0;
        for (entries, expected) in [
            (vec![call("s-1"), wrong_key], "entry 2: the key"),
            (vec![no_time], "entry 1: its time"),
        ] {
            let err = read_journal_file(&journal_json(&entries)).unwrap_err();
            assert!(err.starts_with(expected), "{err}");
        }
        for text in [
            "{}",
            "not json",
            r#"[{"key":"call:x"}]"#,
            r#"[{"key":"messages: ","kind":"messages","time":1,"updated":1,"revision":1}]"#,
        ] {
            assert!(read_journal_file(text).is_err(), "{text}");
        }
        let mut long = call("s-4");
        long.note = Some("x".repeat(MAX_NOTE_BYTES + 1));
        assert!(check_entry(&long).unwrap_err().contains("2 MB"));
    }
}
