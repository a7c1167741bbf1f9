//! The latest changes to the contact store, kept in memory: the widget asks for a delta sync
//! right after each write (discovery, an import, a removal pushes it to re-sync), and that delta
//! is exactly these changes, so it is answered without reading IndexedDB.
//!
//! Bounded: the oldest changes leave first, and the tail then answers only from later on. It
//! holds what committed writes stored, one entry per record (a record written again keeps only
//! its newest sequence number, as the store's `seq` index does), so a delta read from it is the
//! one IndexedDB would give.

use super::record::SyncedRecord;
use std::collections::{BTreeMap, HashMap};

/// Changes the contact store keeps in memory.
pub const TAIL_CHANGES: usize = 2_000;

/// Every committed change from sequence number `from` on.
#[derive(Debug, Clone)]
pub struct ChangeTail {
    /// Every record with a sequence number from here on is in `by_seq`.
    from: u64,
    by_seq: BTreeMap<u64, SyncedRecord>,
    /// Record key (the contact's id) → its sequence number in `by_seq`.
    seq_of: HashMap<String, u64>,
    capacity: usize,
}

impl ChangeTail {
    /// An empty tail over a store whose highest sequence number is `latest`.
    pub fn after(latest: u64, capacity: usize) -> Self {
        Self {
            from: latest + 1,
            by_seq: BTreeMap::new(),
            seq_of: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Takes in the records a write committed (any order), dropping the oldest changes beyond
    /// the capacity.
    pub fn note(&mut self, records: impl IntoIterator<Item = SyncedRecord>) {
        for record in records {
            if let Some(old) = self.seq_of.insert(record.contact.id.clone(), record.seq) {
                self.by_seq.remove(&old);
            }
            self.by_seq.insert(record.seq, record);
        }
        while self.by_seq.len() > self.capacity {
            if let Some((seq, record)) = self.by_seq.pop_first() {
                self.seq_of.remove(&record.contact.id);
                self.from = seq + 1;
            }
        }
    }

    /// The records from sequence number `from_seq` on, in order, at most `limit` of them; or
    /// `None` when the tail does not reach back that far.
    pub fn read(&self, from_seq: u64, limit: usize) -> Option<Vec<SyncedRecord>> {
        (from_seq >= self.from).then(|| {
            self.by_seq
                .range(from_seq..)
                .take(limit)
                .map(|(_, record)| record.clone())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Contact;

    fn record(id: &str, seq: u64) -> SyncedRecord {
        SyncedRecord {
            seq,
            deleted: false,
            contact: Contact {
                id: id.into(),
                name: format!("{id} at {seq}"),
                ..Contact::default()
            },
        }
    }

    fn seqs(records: Option<Vec<SyncedRecord>>) -> Option<Vec<u64>> {
        records.map(|r| r.iter().map(|r| r.seq).collect())
    }

    #[test]
    fn a_delta_from_the_tail_is_what_the_seq_index_holds() {
        let mut tail = ChangeTail::after(10, 100);
        assert_eq!(seqs(tail.read(11, 5)), Some(vec![]), "nothing written yet");
        assert_eq!(tail.read(10, 5), None, "before the tail began");
        tail.note([record("a", 11), record("b", 12), record("c", 13)]);
        tail.note([record("a", 14)]); // "a" written again: only its newest number
        assert_eq!(seqs(tail.read(11, 5)), Some(vec![12, 13, 14]));
        assert_eq!(seqs(tail.read(13, 5)), Some(vec![13, 14]));
        assert_eq!(
            seqs(tail.read(11, 2)),
            Some(vec![12, 13]),
            "a page at a time"
        );
        assert_eq!(tail.read(14, 5).unwrap()[0].contact.name, "a at 14");
    }

    #[test]
    fn the_oldest_changes_leave_and_the_tail_then_starts_later() {
        let mut tail = ChangeTail::after(0, 3);
        tail.note((1..=5).map(|seq| record(&format!("p{seq}"), seq)));
        assert_eq!(tail.read(2, 10), None, "1 and 2 left");
        assert_eq!(seqs(tail.read(3, 10)), Some(vec![3, 4, 5]));
        tail.note([record("p3", 6)]); // rewriting one frees its old place
        assert_eq!(seqs(tail.read(3, 10)), Some(vec![4, 5, 6]));
    }
}
