//! The journal as the options page shows and exports it: a search over contact, number, note
//! and subject within a date range, newest first; CSV and JSON exports of what was found.

use super::entry::JournalEntry;
use crate::contacts::exchange::csv_cell;
use crate::contacts::search::fold;
use serde::{Deserialize, Serialize};

/// At most this many entries answer one journal query (the page shows them; an export of a
/// date range asks for more).
pub const MAX_QUERY_RESULTS: usize = 50_000;

/// What the options page asks of the journal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JournalQuery {
    /// Words that must all occur in the contact, number, note or subject (any case, accents).
    pub text: String,
    /// From this time on (ms since the epoch), inclusive.
    pub from: Option<f64>,
    /// Before this time (ms since the epoch), exclusive.
    pub to: Option<f64>,
    /// At most this many, newest first.
    pub limit: usize,
}

impl JournalQuery {
    /// Whether `entry` is one the query asks for.
    pub fn matches(&self, entry: &JournalEntry) -> bool {
        self.matches_words(&self.words(), entry)
    }

    /// The entries asked for, newest first, at most [`JournalQuery::shown`].
    pub fn select(&self, mut entries: Vec<JournalEntry>) -> Vec<JournalEntry> {
        let words = self.words(); // folded once, not once per entry
        entries.retain(|e| self.matches_words(&words, e));
        entries.sort_by(|a, b| b.time.total_cmp(&a.time));
        entries.truncate(self.shown());
        entries
    }

    /// How many entries the answer holds at most: the limit, within 1 and [`MAX_QUERY_RESULTS`].
    pub fn shown(&self) -> usize {
        self.limit.clamp(1, MAX_QUERY_RESULTS)
    }

    /// The search text's folded words.
    fn words(&self) -> Vec<String> {
        fold(&self.text)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    fn matches_words(&self, words: &[String], entry: &JournalEntry) -> bool {
        if self.from.is_some_and(|from| entry.time < from)
            || self.to.is_some_and(|to| entry.time >= to)
        {
            return false;
        }
        if words.is_empty() {
            return true;
        }
        let haystack = fold(&searchable(entry));
        let digits: String = haystack.chars().filter(char::is_ascii_digit).collect();
        words.iter().all(|word| {
            let word_digits: String = word.chars().filter(char::is_ascii_digit).collect();
            haystack.contains(word.as_str())
                || (word_digits.len() >= 3
                    && word_digits.len() == word.len()
                    && digits.contains(&word_digits))
        })
    }
}

fn searchable(entry: &JournalEntry) -> String {
    let call_parties = entry.call.iter().flat_map(|c| {
        [
            &c.from.name,
            &c.to.name,
            &c.from.phone_number,
            &c.to.phone_number,
        ]
    });
    let subject = entry.subject();
    let mut parts: Vec<&str> = vec![&subject];
    parts.extend(entry.contact.name.as_deref());
    parts.extend(entry.number.as_deref());
    parts.extend(entry.note.as_deref());
    parts.extend(call_parties.filter_map(|p| p.as_deref()));
    parts.extend(entry.messages.iter().filter_map(|m| m.subject.as_deref()));
    parts.join(" ")
}

/// The entries as CSV (one row per entry; cells defused for spreadsheets).
pub fn journal_csv(entries: &[JournalEntry]) -> String {
    let mut out = String::from(
        "Time (UTC),Kind,Contact,Number,Direction,Result,Duration (s),Subject,Note,Record URL,Unlinked because,Key\r\n",
    );
    for entry in entries {
        let call = entry.call.as_ref();
        let cells = [
            iso_time(entry.time),
            entry.event().trim_end_matches(".logged").to_owned(),
            entry.contact.name.clone().unwrap_or_default(),
            entry.number.clone().unwrap_or_default(),
            call.and_then(|c| c.direction.clone()).unwrap_or_default(),
            call.and_then(|c| c.result.clone()).unwrap_or_default(),
            call.and_then(|c| c.duration)
                .map(|d| format!("{d}"))
                .unwrap_or_default(),
            entry.subject(),
            entry.note.clone().unwrap_or_default(),
            entry.contact.record_url.clone().unwrap_or_default(),
            entry.contact.unlinked_because.clone().unwrap_or_default(),
            entry.key.clone(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The entries as a JSON array (the webhook's `entry` shape).
pub fn journal_json(entries: &[JournalEntry]) -> String {
    serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".into())
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for ms since the epoch.
pub fn iso_time(ms: f64) -> String {
    let seconds = (ms / 1000.0).floor() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::entry::{CallFacts, EntryKind, LoggedContact, Party};

    fn entry(key: &str, time: f64, name: &str, note: &str) -> JournalEntry {
        JournalEntry {
            key: key.into(),
            kind: EntryKind::Call,
            contact_id: None,
            contact: LoggedContact {
                name: Some(name.into()),
                ..LoggedContact::default()
            },
            time,
            updated: time,
            revision: 1,
            note: Some(note.into()),
            form: None,
            call: Some(CallFacts {
                session_id: key.into(),
                direction: Some("Inbound".into()),
                from: Party {
                    phone_number: Some("+12065550134".into()),
                    ..Party::default()
                },
                duration: Some(63.0),
                result: Some("Call connected".into()),
                ..CallFacts::default()
            }),
            conversation_id: None,
            messages: Vec::new(),
            number: Some("+12065550134".into()),
        }
    }

    #[test]
    fn search_covers_names_notes_and_digits_in_a_date_range() {
        let all = vec![
            entry("call:1", 1_000.0, "José Álvarez", "renewal"),
            entry("call:2", 2_000.0, "Ava Thompson", "=HYPERLINK(\"x\")"),
            entry("call:3", 3_000.0, "Иван Петров", "demo"),
        ];
        let find = |text: &str, from: Option<f64>, to: Option<f64>| -> Vec<String> {
            let query = JournalQuery {
                text: text.into(),
                from,
                to,
                limit: 10,
            };
            query
                .select(all.clone())
                .into_iter()
                .map(|e| e.key)
                .collect()
        };
        assert_eq!(find("", None, None), ["call:3", "call:2", "call:1"]);
        assert_eq!(find("jose renewal", None, None), ["call:1"]);
        assert_eq!(find("иван", None, None), ["call:3"]);
        assert_eq!(find("206 555 0134", None, None).len(), 3);
        assert_eq!(find("", Some(1_500.0), Some(3_000.0)), ["call:2"]);
        assert!(find("nobody", None, None).is_empty());
    }

    #[test]
    fn the_csv_is_defused_and_the_json_round_trips() {
        let entries = vec![entry(
            "call:2",
            1_795_618_200_000.0,
            "Ava",
            "=HYPERLINK(\"x\")",
        )];
        let csv = journal_csv(&entries);
        assert!(csv.contains("2026-11-25 14:50:00"), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        let back: Vec<JournalEntry> = serde_json::from_str(&journal_json(&entries)).unwrap();
        assert_eq!(back, entries);
    }

    #[test]
    fn iso_time_handles_leap_years_and_the_epoch() {
        assert_eq!(iso_time(0.0), "1970-01-01 00:00:00");
        assert_eq!(iso_time(951_782_400_000.0), "2000-02-29 00:00:00");
        assert_eq!(iso_time(1_709_164_799_000.0), "2024-02-28 23:59:59");
    }
}
