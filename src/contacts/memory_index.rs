//! The stored live contacts held in memory, so search and match answer without IndexedDB.
//!
//! Thirty index lookups in IndexedDB cost ≈10 ms and a search that reads and ranks its
//! candidates ≈35 ms at 100,000 contacts; the widget wants both in a few. This index answers
//! them from memory: each live contact packed as its JSON text, its search tokens in one text
//! arena, a sorted list of (token, contact) for prefix ranges, and a hash of each national
//! number to its contacts. It is built lazily from the store (never at worker start), kept
//! exact by applying every record the worker writes, and bounded: past [`MEMORY_BUDGET`]
//! the store drops it and answers from IndexedDB again. It also keeps each key's change
//! sequence number, so the pages of a full sync (every page load starts one) are read from it
//! in sequence order instead of from the store's `seq` index.
//!
//! Records may arrive in any order (the build reads the store in key order while writes go on):
//! per key, the record with the highest change sequence number wins, tombstones included.

use crate::contacts::number_key::NumberKey;
use crate::contacts::record::ContactRecord;
use crate::contacts::search::{best_first, SearchQuery};
use crate::contacts::Contact;
use std::collections::{BTreeMap, HashMap};

/// What the index may cost, estimated from what it holds (≈600 bytes per contact on the
/// bench's contacts: 100,000 take ≈59 MiB, so about 165,000 fit).
pub const MEMORY_BUDGET: usize = 96 << 20;
/// At most this many candidates of a search are decoded and ranked (as the store's index read).
pub const SEARCH_CANDIDATES: usize = 200;
/// Estimated bytes of one entry of the sequence map (key, value, its share of a node).
const BY_SEQ_ENTRY_BYTES: usize = 32;
/// Token delimiter in the arena (never part of a token: tokens are folded words and digits).
const END: char = '\0';

/// Where the latest record of a key went.
#[derive(Debug, Clone, Copy)]
struct KeyState {
    seq: u64,
    slot: Option<u32>,
}

/// One live contact.
#[derive(Debug, Default)]
struct Slot {
    /// The contact as JSON (`None`: a free slot).
    contact: Option<Box<str>>,
    /// Its tokens in the arena, each followed by [`END`].
    tokens: (u32, u32),
    /// Hashes of its national numbers, in the number arena.
    numbers: (u32, u32),
}

/// The in-memory index of one store's live contacts.
#[derive(Debug, Default)]
pub struct MemoryIndex {
    slots: Vec<Slot>,
    free: Vec<u32>,
    keys: HashMap<Box<str>, KeyState>,
    /// Each key's latest change sequence number → its slot (`None`: a tombstone), in sequence
    /// order: a full sync's page is a range of it, not a scan and a sort of every key (which
    /// cost the worker ≈8 ms a page at 100,000 contacts).
    by_seq: BTreeMap<u64, Option<u32>>,
    /// Every slot's number hashes, each slot's in one run.
    number_arena: Vec<u64>,
    /// (number hash, slot), sorted: the slots on a number by binary search.
    sorted_numbers: Vec<(u64, u32)>,
    /// The numbers of the slots written since the last sort.
    fresh_numbers: HashMap<u64, Vec<u32>>,
    arena: String,
    /// (token start in the arena, slot), sorted by token: prefix ranges by binary search.
    sorted: Vec<(u32, u32)>,
    /// Slots written since `sorted` was made: checked one by one, their sorted entries ignored.
    fresh: Vec<u32>,
    is_fresh: Vec<bool>,
    /// Set while the first build runs: nothing is sorted until it ends.
    building: bool,
    bytes: usize,
    newest: u64,
}

/// The token starting at `offset` of an arena.
fn token_in(arena: &str, offset: u32) -> &str {
    let rest = &arena[offset as usize..];
    &rest[..rest.find(END).unwrap_or(rest.len())]
}

/// FNV-1a of a national number: the key of the number map (a collision only adds a candidate
/// that [`NumberKey::same_line`] then rejects).
fn number_hash(national: &str) -> u64 {
    national.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl MemoryIndex {
    /// An empty index that defers sorting until [`MemoryIndex::built`] (the first build adds
    /// every stored contact; sorting once at the end is cheaper than as they come).
    pub fn building() -> Self {
        Self {
            building: true,
            ..Self::default()
        }
    }

    /// Ends the first build: the tokens are sorted once.
    pub fn built(&mut self) {
        self.building = false;
        self.resort();
    }

    /// Estimated bytes held (compared with [`MEMORY_BUDGET`]).
    pub fn bytes(&self) -> usize {
        self.bytes
            + self.arena.capacity()
            + self.sorted.capacity() * 8
            + self.slots.capacity() * 33
            + self.number_arena.capacity() * 8
            + self.sorted_numbers.capacity() * 16
    }

    /// Whether the index outgrew its budget (the store then drops it).
    pub fn over_budget(&self) -> bool {
        self.bytes() > MEMORY_BUDGET
    }

    /// Live contacts held.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether no live contact is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The highest change sequence number applied.
    pub fn newest(&self) -> u64 {
        self.newest
    }

    /// Applies a stored record, unless a newer record of its key was applied already.
    pub fn apply(&mut self, record: &ContactRecord) {
        self.newest = self.newest.max(record.seq);
        let known = self.keys.get(record.key.as_str()).copied();
        if known.is_some_and(|k| k.seq >= record.seq) {
            return;
        }
        if let Some(known) = known {
            self.by_seq.remove(&known.seq);
        }
        if let Some(slot) = known.and_then(|k| k.slot) {
            self.release(slot);
        }
        let slot = (!record.deleted).then(|| self.hold(record));
        self.by_seq.insert(record.seq, slot);
        match self.keys.get_mut(record.key.as_str()) {
            Some(state) => {
                *state = KeyState {
                    seq: record.seq,
                    slot,
                }
            }
            None => {
                self.bytes += record.key.len() + 48 + BY_SEQ_ENTRY_BYTES;
                self.keys.insert(
                    record.key.as_str().into(),
                    KeyState {
                        seq: record.seq,
                        slot,
                    },
                );
            }
        }
        if !self.building && self.fresh.len() > 1024.max(self.len() / 8) {
            self.resort();
        }
    }

    fn hold(&mut self, record: &ContactRecord) -> u32 {
        let contact = serde_json::to_string(&record.contact).unwrap_or_default();
        let start = self.arena.len() as u32;
        for token in &record.tokens {
            self.arena.extend(token.chars().filter(|&c| c != END));
            self.arena.push(END);
        }
        let first_number = self.number_arena.len() as u32;
        self.number_arena
            .extend(record.numbers.iter().map(|n| number_hash(n)));
        self.bytes += contact.len() + record.numbers.len() * 48;
        let slot = Slot {
            contact: Some(contact.into()),
            tokens: (start, self.arena.len() as u32),
            numbers: (first_number, self.number_arena.len() as u32),
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at as usize] = slot;
                at
            }
            None => {
                self.slots.push(slot);
                self.is_fresh.push(false);
                (self.slots.len() - 1) as u32
            }
        };
        for hash in self.numbers_of(at).to_vec() {
            self.fresh_numbers.entry(hash).or_default().push(at);
        }
        if !std::mem::replace(&mut self.is_fresh[at as usize], true) {
            self.fresh.push(at);
        }
        at
    }

    fn release(&mut self, at: u32) {
        for hash in self.numbers_of(at).to_vec() {
            if let Some(holders) = self.fresh_numbers.get_mut(&hash) {
                holders.retain(|&h| h != at);
                if holders.is_empty() {
                    self.fresh_numbers.remove(&hash);
                }
            }
        }
        let slot = std::mem::take(&mut self.slots[at as usize]);
        let (first, end) = slot.numbers;
        self.bytes -= slot.contact.as_ref().map_or(0, |c| c.len()) + (end - first) as usize * 48;
        self.free.push(at);
    }

    fn numbers_of(&self, at: u32) -> &[u64] {
        let (first, end) = self.slots[at as usize].numbers;
        &self.number_arena[first as usize..end as usize]
    }

    /// Rebuilds the arena (dropping released tokens) and the sorted token list.
    fn resort(&mut self) {
        let mut arena = String::with_capacity(self.arena.len());
        let mut sorted = Vec::with_capacity(self.sorted.len().max(self.len() * 8));
        let mut number_arena = Vec::with_capacity(self.number_arena.len());
        let mut sorted_numbers = Vec::with_capacity(self.sorted_numbers.len());
        for (at, slot) in self.slots.iter_mut().enumerate() {
            if slot.contact.is_none() {
                continue;
            }
            let (first, end) = slot.numbers;
            let new_first = number_arena.len() as u32;
            for &hash in &self.number_arena[first as usize..end as usize] {
                number_arena.push(hash);
                sorted_numbers.push((hash, at as u32));
            }
            slot.numbers = (new_first, number_arena.len() as u32);
            let (start, end) = slot.tokens;
            let new_start = arena.len() as u32;
            arena.push_str(&self.arena[start as usize..end as usize]);
            slot.tokens = (new_start, arena.len() as u32);
            let mut offset = new_start;
            for token in arena[new_start as usize..].split_terminator(END) {
                sorted.push((offset, at as u32));
                offset += token.len() as u32 + 1;
            }
        }
        let token_at = |offset: u32| token_in(&arena, offset);
        // Sorted by each token's first 8 bytes (big-endian: the order of the bytes) first, so
        // most comparisons are one integer comparison; only ties read the tokens.
        let head = |offset: u32| {
            let mut bytes = [0u8; 8];
            let token = token_at(offset).as_bytes();
            let n = token.len().min(8);
            bytes[..n].copy_from_slice(&token[..n]);
            u64::from_be_bytes(bytes)
        };
        let mut keyed: Vec<(u64, u32, u32)> = sorted
            .iter()
            .map(|&(offset, at)| (head(offset), offset, at))
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| token_at(a.1).cmp(token_at(b.1)))
                .then(a.2.cmp(&b.2))
        });
        sorted.clear();
        sorted.extend(keyed.into_iter().map(|(_, offset, at)| (offset, at)));
        sorted_numbers.sort_unstable();
        self.arena = arena;
        self.sorted = sorted;
        self.number_arena = number_arena;
        self.sorted_numbers = sorted_numbers;
        self.fresh_numbers.clear();
        for at in self.fresh.drain(..) {
            self.is_fresh[at as usize] = false;
        }
    }

    fn token_at(&self, offset: u32) -> &str {
        token_in(&self.arena, offset)
    }

    fn tokens_of(&self, at: u32) -> impl Iterator<Item = &str> {
        let (start, end) = self.slots[at as usize].tokens;
        self.arena[start as usize..end as usize].split_terminator(END)
    }

    fn contact_at(&self, at: u32) -> Option<Contact> {
        let text = self.slots.get(at as usize)?.contact.as_deref()?;
        serde_json::from_str(text).ok()
    }

    /// The sorted entries whose token starts with `prefix`.
    fn prefix_range(&self, prefix: &str) -> &[(u32, u32)] {
        let start = self
            .sorted
            .partition_point(|&(offset, _)| self.token_at(offset) < prefix);
        let len = self.sorted[start..]
            .partition_point(|&(offset, _)| self.token_at(offset).starts_with(prefix));
        &self.sorted[start..start + len]
    }

    /// Whether every typed token is a prefix of one of the slot's tokens.
    fn has_all(&self, at: u32, query: &SearchQuery) -> bool {
        query
            .tokens()
            .iter()
            .all(|q| self.tokens_of(at).any(|t| t.starts_with(q.as_str())))
    }

    /// The best `limit` contacts for a search (the rules of [`SearchQuery::score_with`]):
    /// candidates come in token order from the narrowest typed token's range, then the slots
    /// written since the last sort; at most [`SEARCH_CANDIDATES`] are ranked.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Vec<Contact> {
        let narrowest = query
            .tokens()
            .iter()
            .map(|q| self.prefix_range(q))
            .min_by_key(|range| range.len())
            .unwrap_or_default();
        let mut picked: Vec<u32> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let sorted_hits = narrowest
            .iter()
            .map(|&(_, at)| at)
            .filter(|&at| !self.is_fresh[at as usize]);
        for at in sorted_hits.chain(self.fresh.iter().copied()) {
            if picked.len() >= SEARCH_CANDIDATES {
                break;
            }
            // A released slot keeps its stale entries (and its place in `fresh`) until a sort.
            if self.slots[at as usize].contact.is_some()
                && self.has_all(at, query)
                && seen.insert(at)
            {
                picked.push(at);
            }
        }
        let scored = picked
            .into_iter()
            .filter_map(|at| {
                let contact = self.contact_at(at)?;
                let tokens: Vec<&str> = self.tokens_of(at).collect();
                Some((query.score_with(&contact, &tokens)?, contact))
            })
            .collect();
        best_first(scored, limit)
    }

    /// The live contacts with a number whose national number is `national`.
    pub fn on_national_number(&self, national: &str) -> Vec<Contact> {
        let hash = number_hash(national);
        let start = self.sorted_numbers.partition_point(|&(h, _)| h < hash);
        let sorted = self.sorted_numbers[start..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, at)| at)
            .filter(|&at| !self.is_fresh[at as usize]);
        let fresh = self.fresh_numbers.get(&hash).into_iter().flatten().copied();
        let mut found: Vec<Contact> = sorted
            .chain(fresh)
            .filter_map(|at| self.contact_at(at))
            .filter(|c| c.lines().any(|line| line.national == national))
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.dedup_by(|a, b| a.id == b.id);
        found
    }

    /// For each asked number, the live contacts that have its line (as the store's match).
    pub fn match_numbers(&self, numbers: &[String]) -> BTreeMap<String, Vec<Contact>> {
        let mut found = BTreeMap::new();
        for number in numbers {
            let Some(asked) = NumberKey::parse(number) else {
                continue;
            };
            // In id order, as `on_national_number` gives them.
            let matches: Vec<Contact> = self
                .on_national_number(&asked.national)
                .into_iter()
                .filter(|c| c.has_line(&asked))
                .collect();
            if !matches.is_empty() {
                found.insert(number.clone(), matches);
            }
        }
        found
    }

    /// A live contact by its key (`<site>#<id>`).
    pub fn contact(&self, key: &str) -> Option<Contact> {
        self.contact_at(self.keys.get(key)?.slot?)
    }

    /// The change sequence number of the `n`-th newest record, tombstones included (what one
    /// step back from the end of the store's `seq` index gives); `None` with fewer records.
    pub fn nth_newest(&self, n: usize) -> Option<u64> {
        match n {
            0 => None,
            n => self.by_seq.keys().rev().nth(n - 1).copied(),
        }
    }

    /// The records from sequence number `from_seq` on, in sequence order, at most `limit` (a
    /// read of the store's `seq` index): each a live contact, or `None` for a tombstone.
    pub fn in_sequence(&self, from_seq: u64, limit: usize) -> Vec<(u64, Option<Contact>)> {
        self.by_seq
            .range(from_seq..)
            .take(limit)
            .map(|(&seq, slot)| (seq, slot.and_then(|at| self.contact_at(at))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ContactPhone;

    fn person(id: &str, name: &str, number: &str) -> Contact {
        Contact {
            id: id.into(),
            name: name.into(),
            phone_numbers: vec![ContactPhone {
                phone_number: number.into(),
                phone_type: "mobile".into(),
                display: None,
            }],
            emails: vec![format!(
                "{}@example.com",
                name.to_lowercase().replace(' ', ".")
            )],
            company: Some("Northwind".into()),
            ..Default::default()
        }
    }

    fn record(id: &str, name: &str, number: &str, seq: u64) -> ContactRecord {
        ContactRecord::live("https://crm.test", person(id, name, number), seq)
    }

    fn names(found: &[Contact]) -> Vec<&str> {
        found.iter().map(|c| c.name.as_str()).collect()
    }

    fn built(records: &[ContactRecord]) -> MemoryIndex {
        let mut index = MemoryIndex::building();
        for r in records {
            index.apply(r);
        }
        index.built();
        index
    }

    #[test]
    fn matches_numbers_in_every_format_the_widget_sends() {
        let index = built(&[
            record("1", "Ava Thompson", "+12065550134", 1),
            record("2", "Ben Okafor", "+494930123456", 2),
            record("3", "Ava's Desk", "+1 (206) 555-0134", 3),
        ]);
        let asked = vec![
            "+12065550134".to_owned(),
            "494930123456".to_owned(),
            "+4420123456".to_owned(),
        ];
        let found = index.match_numbers(&asked);
        assert_eq!(
            names(&found["+12065550134"]),
            ["Ava Thompson", "Ava's Desk"]
        );
        assert_eq!(names(&found["494930123456"]), ["Ben Okafor"]);
        assert!(
            !found.contains_key("+4420123456"),
            "another country is not the line"
        );
    }

    #[test]
    fn the_newest_record_of_a_key_wins_whatever_the_order() {
        let old = record("1", "Ava Old", "+12065550134", 1);
        let new = record("1", "Ava New", "+12065550199", 5);
        let gone = new.tombstone(7);
        let mut index = MemoryIndex::building();
        index.apply(&new);
        index.apply(&old); // read by the build after the write was applied
        index.built();
        assert_eq!(index.contact("https://crm.test#1").unwrap().name, "Ava New");
        assert!(index.on_national_number("2065550134").is_empty());
        index.apply(&gone);
        index.apply(&new);
        assert!(index.contact("https://crm.test#1").is_none());
        assert!(index.is_empty());
        assert_eq!(index.newest(), 7);
    }

    #[test]
    fn search_finds_by_prefix_across_sorted_and_fresh_contacts() {
        let mut index = built(&[
            record("1", "Müller Anna", "+4930123456", 1),
            record("2", "Anders Berg", "+4630123456", 2),
            record("3", "王小明", "+8613800138000", 3),
        ]);
        index.apply(&record("4", "Anna Karenina", "+74951234567", 4)); // fresh, not sorted
        index.apply(&record("2", "Anders Nyberg", "+4630123456", 5)); // rewritten
        let search = |text: &str| {
            names(&index.search(&SearchQuery::parse(text).unwrap(), 10))
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(search("ann"), ["Anna Karenina", "Müller Anna"]);
        assert_eq!(search("muller"), ["Müller Anna"]);
        assert_eq!(search("小明"), ["王小明"]);
        assert!(search("berg").is_empty(), "the old name is gone");
        assert_eq!(search("nyb"), ["Anders Nyberg"]);
        assert_eq!(search("an ny"), ["Anders Nyberg"]);
        assert_eq!(search("0301234"), ["Anders Nyberg", "Müller Anna"]);
    }

    #[test]
    fn sorting_again_keeps_every_answer() {
        let mut index = MemoryIndex::building();
        index.built();
        for i in 0..3_000u64 {
            let number = format!("+1206555{:04}", i);
            index.apply(&record(
                &i.to_string(),
                &format!("Person{i} Test"),
                &number,
                i + 1,
            ));
        }
        for i in (0..3_000u64).step_by(3) {
            let old = record(&i.to_string(), "x", "+10000000000", i + 1);
            index.apply(&old.tombstone(10_000 + i));
        }
        assert!(index.fresh.len() <= 1024.max(index.len() / 8) + 1);
        assert_eq!(index.len(), 2_000);
        let found = index.match_numbers(&["+12065550001".to_owned(), "+12065550003".to_owned()]);
        assert_eq!(found.len(), 1);
        assert_eq!(names(&found["+12065550001"]), ["Person1 Test"]);
        let query = SearchQuery::parse("person1000").unwrap();
        assert_eq!(names(&index.search(&query, 5)), ["Person1000 Test"]);
        let query = SearchQuery::parse("person999").unwrap();
        assert!(index.search(&query, 5).is_empty(), "999 was removed");
    }

    #[test]
    fn search_ranks_as_scoring_every_contact_would() {
        let syllables = ["an", "be", "ka", "lo", "mi", "no", "ra", "si"];
        let word = |i: usize, n: usize| -> String {
            (0..n)
                .map(|k| syllables[(i * 7 + k * 3 + i / 5) % 8])
                .collect()
        };
        let contacts: Vec<ContactRecord> = (0..150)
            .map(|i| {
                let name = format!("{} {}", word(i, 2), word(i + 1, 3));
                record(
                    &i.to_string(),
                    &name,
                    &format!("+4930{:07}", i * 13),
                    i as u64 + 1,
                )
            })
            .collect();
        let mut index = built(&contacts[..100]);
        contacts[100..].iter().for_each(|r| index.apply(r)); // some sorted, some fresh
        let name_of = |i: usize| contacts[i].contact.name.to_lowercase();
        let typed: Vec<String> = [3, 57, 120, 149]
            .iter()
            .flat_map(|&i| {
                let name = name_of(i);
                let (first, last) = name.split_once(' ').unwrap();
                [
                    first[..2].to_owned(),
                    format!("{} {}", &first[..2], &last[..3]),
                ]
            })
            .chain(["0300000".to_owned(), "nothing".to_owned()])
            .collect();
        for typed in &typed {
            let typed = typed.as_str();
            let query = SearchQuery::parse(typed).unwrap();
            let every: Vec<(u32, Contact)> = contacts
                .iter()
                .filter_map(|r| Some((query.score(&r.contact)?, r.contact.clone())))
                .collect();
            let expected = best_first(every, 10);
            assert_eq!(expected.is_empty(), typed == "nothing", "{typed}");
            assert_eq!(index.search(&query, 10), expected, "{typed}");
        }
    }

    #[test]
    fn estimates_its_size() {
        let records: Vec<ContactRecord> = (0..1_000u64)
            .map(|i| {
                record(
                    &i.to_string(),
                    "Some Body",
                    &format!("+4930{:07}", i),
                    i + 1,
                )
            })
            .collect();
        let index = built(&records);
        let per_contact = index.bytes() / 1_000;
        assert!(
            (150..1_000).contains(&per_contact),
            "{per_contact} bytes per contact"
        );
        assert!(!index.over_budget());
    }

    #[test]
    fn records_in_sequence_order_as_the_seq_index_reads_them() {
        let mut index = MemoryIndex::building();
        // Applied out of order, one rewritten and one removed: the newest record per key counts.
        index.apply(&record("3", "Cara", "+442071234567", 30));
        index.apply(&record("1", "Ava", "+12065550134", 10));
        index.apply(&record("2", "Ben", "+12065550135", 20));
        index.apply(&record("1", "Ava Renamed", "+12065550134", 40));
        let mut gone = record("2", "Ben", "+12065550135", 50);
        gone.deleted = true;
        index.apply(&gone);
        index.apply(&record("1", "Ava Stale", "+12065550134", 5)); // older than what is held
        index.built();
        let read = |from, limit| -> Vec<(u64, Option<String>)> {
            index
                .in_sequence(from, limit)
                .into_iter()
                .map(|(seq, contact)| (seq, contact.map(|c| c.name)))
                .collect()
        };
        assert_eq!(
            read(1, 10),
            vec![
                (30, Some("Cara".into())),
                (40, Some("Ava Renamed".into())),
                (50, None)
            ]
        );
        assert_eq!(read(31, 1), vec![(40, Some("Ava Renamed".into()))]);
        assert_eq!(read(51, 10), vec![]);
        assert_eq!(index.nth_newest(1), Some(50));
        assert_eq!(index.nth_newest(3), Some(30));
        assert_eq!(index.nth_newest(4), None);
        assert_eq!(index.nth_newest(0), None);
    }
}
