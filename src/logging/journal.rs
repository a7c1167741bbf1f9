//! The journal's write rule, shared by the IndexedDB store and the in-memory one: fold the
//! request into the entry, and when that made a new revision, queue one delivery of it per
//! destination (replacing any older revision still waiting for the same destination).

use super::destinations::Destinations;
use super::entry::JournalEntry;
use super::merge::Merged;
use super::outbox::Delivery;
use super::webhook::payload;
use crate::service::data::{Activity, LogMatch};

/// What one log request writes.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalWrite {
    /// The entry (unchanged ones are not written).
    pub entry: JournalEntry,
    /// Whether the entry is a new revision.
    pub changed: bool,
    /// Deliveries to queue with it, in the same transaction.
    pub deliveries: Vec<Delivery>,
}

impl JournalWrite {
    /// The write for a merge result, delivering a new revision to the destinations of its
    /// contact's site.
    pub fn of(merged: Merged, destinations: &Destinations, now: f64) -> Self {
        let deliveries = match merged.changed {
            true => destinations
                .for_site(merged.entry.contact.site.as_deref())
                .iter()
                .map(|destination| {
                    let key =
                        super::outbox::idempotency_key(&merged.entry.key, merged.entry.revision);
                    let body = payload(&merged.entry, &key);
                    Delivery::new(destination, &merged.entry, body, now)
                })
                .collect(),
            false => Vec::new(),
        };
        Self {
            entry: merged.entry,
            changed: merged.changed,
            deliveries,
        }
    }
}

/// What the widget's log matchers get for an entry.
pub fn log_match(entry: &JournalEntry) -> LogMatch {
    LogMatch {
        id: entry.key.clone(),
        note: entry.note.clone(),
        contact_id: entry.contact_id.clone(),
    }
}

/// An entry as a row of a contact's activities.
pub fn activity(entry: &JournalEntry) -> Activity {
    Activity {
        id: entry.key.clone(),
        subject: entry.subject(),
        time: entry.time,
    }
}
