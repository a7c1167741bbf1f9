//! The contact store over IndexedDB: the background's [`ContactSource`].
//!
//! Nothing is loaded at start: the database opens on first use (or when the worker starts it
//! early) and each request reads only what its index range holds. Kept in memory: the latest
//! change sequence number, the latest changes this worker committed ([`ChangeTail`]: the delta
//! sync the widget asks right after a write is answered from it), and, once the first search,
//! match or full sync has asked for it, the [`MemoryIndex`] of every live contact, built in the
//! background in batches and kept exact by applying every write; it answers search, match and
//! full syncs from then on. This worker is the database's only writer (every other part asks
//! it through messages), which is what keeps the memory exact. The rules (keys, tokens,
//! paging, ranking) are the pure ones in [`crate::contacts`]; this file only moves records in
//! and out of IndexedDB.
//!
//! Ordering: IndexedDB runs transactions on the same store in the order they were created, and
//! a sequence number is taken only after its write transaction exists. A read takes the latest
//! number when its transaction is created, so it sees every write numbered up to it, and a
//! `syncTimestamp` never skips a change. An import kept as a whole ([`import_stream`]) numbers
//! its records as its chunks arrive, inside one long transaction: it holds the store alone
//! ([`WriteGate`]) and makes its numbers the latest only once it has committed.

mod import_stream;

use super::lazy::LazyDatabase;
use super::records::{
    finish, from_js, from_js_list, get_many, join_all, join_pair, js_items, js_value, service_error,
};
use super::{open, StoreError, CONTACTS_STORE, SYNC_STATE_STORE};
use crate::contacts::change_tail::{ChangeTail, TAIL_CHANGES};
use crate::contacts::memory_index::MemoryIndex;
use crate::contacts::number_key::NumberKey;
use crate::contacts::record::{
    newest_sighting, record_key, ContactRecord, SyncWindow, SyncedRecord,
};
use crate::contacts::search::{best_first, SearchQuery};
use crate::contacts::Contact;
use crate::protocol::bridge::ImportBatch;
use crate::service::data::{ContactSink, ContactSource, ContactsPage, ServiceError, WriteSummary};
use crate::service::write_gate::WriteGate;
use rexie::{Direction, KeyRange, Rexie, TransactionMode};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// At most this many records are read and ranked to answer one search.
pub const SEARCH_CANDIDATES: u32 = 200;
/// A word of a several-word search with more index entries than this narrows nothing down.
pub const SEARCH_SCAN: u32 = 400;
/// Up to this many matches of a several-word search are read one by one; more in one request.
const SEARCH_FEW: usize = 40;

/// Records read per transaction while the in-memory index is built (each batch is one short
/// task of the worker, so requests are answered between them).
const MEMORY_BUILD_BATCH: u32 = 2_000;

/// The in-memory index of this worker (see [`MemoryIndex`]).
enum Memory {
    /// Not built: the next search, match or full sync starts building it.
    Absent,
    /// Being built by the task of this generation; writes are applied to it meanwhile.
    Building(u32, MemoryIndex),
    /// Answers search and match; built in this many milliseconds.
    Ready(MemoryIndex, f64),
    /// Outgrew its budget: IndexedDB answers for the rest of this worker's life.
    OverBudget,
}

impl Memory {
    fn index_mut(&mut self) -> Option<&mut MemoryIndex> {
        match self {
            Memory::Building(_, index) | Memory::Ready(index, _) => Some(index),
            Memory::Absent | Memory::OverBudget => None,
        }
    }
}

/// Reads every stored record into a new index in batches (key order), then makes it the one
/// that answers; stops when its generation is no longer the one building.
async fn build_memory(
    db: std::rc::Weak<Rexie>,
    memory: Rc<RefCell<Memory>>,
    generation: u32,
) -> Result<(), StoreError> {
    let started = js_sys::Date::now();
    let mut after: Option<String> = None;
    loop {
        // The connection is held only while the read is created, so closing it is never held up.
        let Some(transaction) = db
            .upgrade()
            .map(|db| db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly))
        else {
            return Ok(());
        };
        let transaction = transaction?;
        let range = match &after {
            Some(key) => Some(
                KeyRange::lower_bound(&JsValue::from_str(key), Some(true))
                    .map_err(rexie::Error::from)?,
            ),
            None => None,
        };
        let values = transaction
            .store(CONTACTS_STORE)?
            .get_all(range, Some(MEMORY_BUILD_BATCH))
            .await?;
        let last_batch = values.len() < MEMORY_BUILD_BATCH as usize;
        let records: Vec<ContactRecord> = from_js_list(values)?;
        after = records.last().map(|r| r.key.clone());
        let mut state = memory.borrow_mut();
        let Memory::Building(building, index) = &mut *state else {
            return Ok(());
        };
        if *building != generation {
            return Ok(());
        }
        for record in &records {
            index.apply(record);
        }
        if index.over_budget() {
            *state = Memory::OverBudget;
            return Ok(());
        }
        if last_batch {
            let Memory::Building(_, mut index) = std::mem::replace(&mut *state, Memory::Absent)
            else {
                unreachable!("matched above")
            };
            index.built();
            *state = Memory::Ready(index, js_sys::Date::now() - started);
            return Ok(());
        }
    }
}

/// A stored record read only for its contact (its index keys are not needed, nor parsed).
#[derive(serde::Deserialize)]
struct ContactView {
    contact: Contact,
}

/// A site's sync state (store `syncState`, key `site`).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SiteSyncState {
    site: String,
    /// The newest sighting of the latest page or bulk-import write.
    last_read_ms: f64,
}

/// Puts the site's "last read" in `transaction` when contacts were read from a page (`at`:
/// their newest sighting).
async fn note_read(
    transaction: &rexie::Transaction,
    site: &str,
    at: Option<f64>,
) -> Result<(), StoreError> {
    let Some(at) = at else {
        return Ok(());
    };
    let state = SiteSyncState {
        site: site.to_owned(),
        last_read_ms: at,
    };
    let value = js_value(&state)?;
    transaction
        .store(SYNC_STATE_STORE)?
        .put(&value, None)
        .await?;
    Ok(())
}

/// The index range of every token starting with `prefix`.
fn prefix_range(prefix: &str) -> Result<KeyRange, StoreError> {
    Ok(KeyRange::bound(
        &JsValue::from_str(prefix),
        &JsValue::from_str(&format!("{prefix}\u{ffff}")),
        Some(false),
        Some(false),
    )
    .map_err(rexie::Error::from)?)
}

/// The contacts of every site in IndexedDB.
pub struct StoreContacts {
    name: String,
    db: LazyDatabase,
    latest: Rc<Cell<u64>>,
    /// The changes this worker committed since it opened the database (`None` after a write
    /// failed: then every delta is read from the database).
    tail: Rc<RefCell<Option<ChangeTail>>>,
    /// Ordinary writes share the store; an import kept as a whole holds it alone.
    gate: Rc<WriteGate>,
    /// The import kept as a whole being written, if any.
    stream: Rc<RefCell<Option<Rc<import_stream::ImportStream>>>>,
    /// How long such an import may wait for its next chunk before it is given up.
    abandoned_after_ms: f64,
    /// Write transactions under way: a delta waits for them in the database's order, so it is
    /// read from the tail only when there are none.
    under_way: Rc<Cell<u32>>,
    /// Search and match from memory, once built (shared with the task that builds it).
    memory: Rc<RefCell<Memory>>,
    /// The generation of the latest build started.
    builds: Cell<u32>,
    page_size: usize,
    full_sync_limit: Option<u32>,
}

/// Applies records a write committed to the tail and the in-memory index.
fn keep_committed(
    tail: &RefCell<Option<ChangeTail>>,
    memory: &RefCell<Memory>,
    records: Vec<ContactRecord>,
) {
    let mut memory = memory.borrow_mut();
    if let Some(index) = memory.index_mut() {
        records.iter().for_each(|record| index.apply(record));
        if index.over_budget() {
            *memory = Memory::OverBudget;
        }
    }
    if let Some(tail) = tail.borrow_mut().as_mut() {
        tail.note(records.into_iter().map(SyncedRecord::from));
    }
}

/// Counts a write as under way for as long as it lives (every way out of the write).
struct Writing(Rc<Cell<u32>>);

impl Writing {
    fn new(count: &Rc<Cell<u32>>) -> Self {
        count.set(count.get() + 1);
        Self(count.clone())
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

impl StoreContacts {
    /// A store over database `name`, opened on first use, answering syncs in pages of
    /// `page_size`.
    pub fn new(name: &str, page_size: usize) -> Self {
        Self {
            name: name.to_owned(),
            db: LazyDatabase::default(),
            latest: Rc::new(Cell::new(0)),
            tail: Rc::new(RefCell::new(None)),
            gate: Rc::new(WriteGate::default()),
            stream: Rc::new(RefCell::new(None)),
            abandoned_after_ms: import_stream::ABANDONED_AFTER_MS,
            under_way: Rc::new(Cell::new(0)),
            memory: Rc::new(RefCell::new(Memory::Absent)),
            builds: Cell::new(0),
            page_size: page_size.max(1),
            full_sync_limit: None,
        }
    }

    /// Gives a full sync (every widget load) only the newest `limit` records; deltas, search
    /// and match still reach every stored contact.
    pub fn with_full_sync_limit(mut self, limit: u32) -> Self {
        self.full_sync_limit = Some(limit.max(1));
        self
    }

    /// The open database (opening it, and reading the latest sequence number, on first use;
    /// concurrent first uses wait for the one open).
    pub async fn database(&self) -> Result<Rc<Rexie>, StoreError> {
        self.db.get(|| self.open_now()).await
    }

    async fn open_now(&self) -> Result<Rexie, StoreError> {
        let db = open(&self.name).await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let last = transaction
            .store(CONTACTS_STORE)?
            .index("seq")?
            .scan(None, Some(1), None, Some(Direction::Prev))
            .await?;
        let latest = last
            .first()
            .and_then(|(seq, _)| seq.as_f64())
            .unwrap_or(0.0);
        self.latest.set(self.latest.get().max(latest as u64));
        *self.tail.borrow_mut() = Some(ChangeTail::after(self.latest.get(), TAIL_CHANGES));
        Ok(db)
    }

    /// Runs one write (which answers its result and the records it committed), counted as under
    /// way; what it committed goes into the tail, and a failed write stops the tail (what it
    /// left behind is not known for sure).
    async fn writing<T>(
        &self,
        write: impl std::future::Future<Output = Result<(T, Vec<ContactRecord>), StoreError>>,
    ) -> Result<T, StoreError> {
        let _hold = self.gate.shared().await;
        let under_way = Writing::new(&self.under_way);
        let result = write.await;
        drop(under_way);
        match result {
            Ok((answer, records)) => {
                keep_committed(&self.tail, &self.memory, records);
                Ok(answer)
            }
            Err(err) => {
                *self.tail.borrow_mut() = None;
                let mut memory = self.memory.borrow_mut();
                if memory.index_mut().is_some() {
                    *memory = Memory::Absent; // rebuilt from what the database kept
                }
                Err(err)
            }
        }
    }

    /// Answers from the in-memory index when it is built; `None` otherwise.
    fn answered_from_memory<T>(&self, answer: impl FnOnce(&MemoryIndex) -> T) -> Option<T> {
        match &*self.memory.borrow() {
            Memory::Ready(index, _) => Some(answer(index)),
            _ => None,
        }
    }

    /// Starts building the in-memory index in the background, unless it is built, being built
    /// or over budget (the request that asks is answered from IndexedDB meanwhile).
    fn build_memory_soon(&self, db: &Rc<Rexie>) {
        if !matches!(*self.memory.borrow(), Memory::Absent) {
            return;
        }
        let generation = self.builds.get().wrapping_add(1);
        self.builds.set(generation);
        *self.memory.borrow_mut() = Memory::Building(generation, MemoryIndex::building());
        let memory = self.memory.clone();
        let db = Rc::downgrade(db);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(err) = build_memory(db, memory.clone(), generation).await {
                web_sys::console::warn_1(&format!("contact memory not built: {err}").into());
                let mut state = memory.borrow_mut();
                if matches!(*state, Memory::Building(building, _) if building == generation) {
                    *state = Memory::Absent;
                }
            }
        });
    }

    /// A page of a full sync from the in-memory index, when it is built and no write is under
    /// way (so it holds every record numbered up to `latest`): the same records, in the same
    /// order, as the `seq` index would give.
    fn full_page_from_memory(&self, window: SyncWindow) -> Option<ContactsPage> {
        if !window.full || self.under_way.get() > 0 {
            return None;
        }
        let latest = self.latest.get();
        self.answered_from_memory(|index| {
            let window = match (window.is_first_full_page(), self.full_sync_limit) {
                (true, Some(limit)) => window.starting_at(index.nth_newest(limit as usize)),
                _ => window,
            };
            let records = index
                .in_sequence(window.from_seq, self.page_size)
                .into_iter()
                .map(|(seq, contact)| SyncedRecord {
                    seq,
                    deleted: contact.is_none(), // skipped: a full sync sends no tombstones
                    contact: contact.unwrap_or_default(),
                })
                .collect();
            let (contacts, next_page, sync_timestamp) =
                window.page(records, self.page_size, latest);
            ContactsPage {
                contacts,
                next_page,
                sync_timestamp,
            }
        })
    }

    /// The delta from `from_seq` on, from the tail, when it holds it and no write is under way.
    fn delta_from_tail(&self, from_seq: u64) -> Option<Vec<SyncedRecord>> {
        if self.under_way.get() > 0 {
            return None;
        }
        self.tail.borrow().as_ref()?.read(from_seq, self.page_size)
    }

    /// Closes the database (tests; an upgrade elsewhere).
    pub fn close(&self) {
        self.db.close();
    }

    /// The highest change sequence number handed out.
    pub fn latest(&self) -> u64 {
        self.latest.get()
    }

    /// Gives an import kept as a whole up after `ms` without a chunk (tests: the default is
    /// long enough for any page that is still sending).
    #[doc(hidden)]
    pub fn abandon_imports_after_for_tests(mut self, ms: f64) -> Self {
        self.abandoned_after_ms = ms;
        self
    }

    /// Never builds the in-memory index, so every answer comes from IndexedDB (tests compare
    /// the memory's answers with these).
    #[doc(hidden)]
    pub fn without_memory_for_tests(self) -> Self {
        *self.memory.borrow_mut() = Memory::OverBudget;
        self
    }

    /// Makes the next writes reuse sequence numbers after `seq`, so a test can make a write
    /// fail half-way (the unique `seq` index refuses it) and check nothing of it was kept.
    #[doc(hidden)]
    pub fn rewind_sequence_for_tests(&self, seq: u64) {
        self.latest.set(seq);
    }

    fn next_seq(&self) -> u64 {
        self.latest.set(self.latest.get() + 1);
        self.latest.get()
    }

    /// Stores what a page showed of a site's contacts: new ones are added, changed ones
    /// rewritten, unchanged ones left alone (so the widget does not re-sync them).
    async fn put_seen(
        &self,
        site: &str,
        contacts: Vec<Contact>,
    ) -> Result<(WriteSummary, Vec<ContactRecord>), StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(
            &[CONTACTS_STORE, SYNC_STATE_STORE],
            TransactionMode::ReadWrite,
        )?;
        note_read(&transaction, site, newest_sighting(&contacts)).await?;
        let store = transaction.store(CONTACTS_STORE)?;
        let mut summary = WriteSummary::default();
        let mut writes = Vec::new();
        let keys: Vec<String> = contacts.iter().map(|c| record_key(site, &c.id)).collect();
        for (contact, existing) in contacts.into_iter().zip(get_many(&store, &keys).await?) {
            let existing: Option<ContactRecord> = existing.map(from_js).transpose()?;
            if let Some(contact) = summary.note_seen(existing.as_ref(), site, contact) {
                writes.push(contact);
            }
        }
        let records: Vec<ContactRecord> = writes
            .into_iter()
            .map(|c| ContactRecord::live(site, c, self.next_seq()))
            .collect();
        store.put_all(js_items(&records)?.into_iter()).await?;
        finish(transaction.done().await?)?;
        Ok((summary, records))
    }

    /// Writes many contacts of a site at once (an import): one transaction, no comparison
    /// with what is stored, all or nothing. The records are built and every write issued
    /// before anything is awaited, so an import's next chunk is prepared while the database
    /// still commits the previous one (and numbered after it: the transactions are created,
    /// and so committed, in the order their records were numbered).
    async fn put_blind(
        &self,
        site: &str,
        contacts: Vec<Contact>,
    ) -> Result<(usize, Vec<ContactRecord>), StoreError> {
        let db = self.database().await?;
        let sighting = newest_sighting(&contacts);
        let records: Vec<ContactRecord> = contacts
            .into_iter()
            .map(|c| ContactRecord::live(site, c, self.next_seq()))
            .collect();
        let values = js_items(&records)?;
        let transaction = db.transaction(
            &[CONTACTS_STORE, SYNC_STATE_STORE],
            TransactionMode::ReadWrite,
        )?;
        let store = transaction.store(CONTACTS_STORE)?;
        let (noted, put) = join_pair(
            note_read(&transaction, site, sighting),
            store.put_all(values.into_iter()),
        )
        .await;
        noted?;
        put?;
        finish(transaction.done().await?)?;
        Ok((records.len(), records))
    }

    /// Turns contacts of a site into tombstones (the widget is told at its next delta sync).
    async fn put_tombstones(
        &self,
        site: &str,
        ids: &[String],
    ) -> Result<(WriteSummary, Vec<ContactRecord>), StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadWrite)?;
        let store = transaction.store(CONTACTS_STORE)?;
        let mut tombstones = Vec::new();
        let keys: Vec<String> = ids.iter().map(|id| record_key(site, id)).collect();
        for existing in get_many(&store, &keys).await? {
            if let Some(old) = existing.map(from_js::<ContactRecord>).transpose()? {
                if !old.deleted {
                    tombstones.push(old);
                }
            }
        }
        let tombstones: Vec<ContactRecord> = tombstones
            .iter()
            .map(|old| old.tombstone(self.next_seq()))
            .collect();
        store.put_all(js_items(&tombstones)?.into_iter()).await?;
        finish(transaction.done().await?)?;
        let summary = WriteSummary {
            removed: tombstones.len(),
            ..Default::default()
        };
        Ok((summary, tombstones))
    }

    /// Every live contact of a site becomes a tombstone ("forget this site").
    async fn tombstone_site(&self, site: &str) -> Result<(usize, Vec<ContactRecord>), StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(
            &[CONTACTS_STORE, SYNC_STATE_STORE],
            TransactionMode::ReadWrite,
        )?;
        transaction
            .store(SYNC_STATE_STORE)?
            .delete(JsValue::from_str(site))
            .await?;
        let store = transaction.store(CONTACTS_STORE)?;
        let values = store
            .index("site")?
            .get_all(
                Some(KeyRange::only(&JsValue::from_str(site)).map_err(rexie::Error::from)?),
                None,
            )
            .await?;
        let records: Vec<ContactRecord> = from_js_list(values)?;
        let tombstones: Vec<ContactRecord> = records
            .iter()
            .filter(|r| !r.deleted)
            .map(|r| r.tombstone(self.next_seq()))
            .collect();
        store.put_all(js_items(&tombstones)?.into_iter()).await?;
        finish(transaction.done().await?)?;
        Ok((tombstones.len(), tombstones))
    }

    /// Records of a site, tombstones included (counts, export).
    pub async fn site_records(&self, site: &str) -> Result<Vec<ContactRecord>, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let values = transaction
            .store(CONTACTS_STORE)?
            .index("site")?
            .get_all(
                Some(KeyRange::only(&JsValue::from_str(site)).map_err(rexie::Error::from)?),
                None,
            )
            .await?;
        from_js_list(values)
    }

    /// How many live contacts a site has (the `site` index holds live records only).
    async fn count_site(&self, site: &str) -> Result<usize, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let range = KeyRange::only(&JsValue::from_str(site)).map_err(rexie::Error::from)?;
        let count = transaction
            .store(CONTACTS_STORE)?
            .index("site")?
            .count(Some(range))
            .await?;
        Ok(count as usize)
    }

    /// Live contacts of every site (the store's census, `store_census`).
    pub async fn live_count(&self) -> Result<u64, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let count = transaction
            .store(CONTACTS_STORE)?
            .index("site")?
            .count(None)
            .await?;
        Ok(u64::from(count))
    }

    /// The site's sync state's "last read".
    async fn site_last_read(&self, site: &str) -> Result<Option<f64>, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[SYNC_STATE_STORE], TransactionMode::ReadOnly)?;
        let value = transaction
            .store(SYNC_STATE_STORE)?
            .get(JsValue::from_str(site))
            .await?;
        let state: Option<SiteSyncState> = value.map(from_js).transpose()?;
        Ok(state.map(|s| s.last_read_ms))
    }

    /// Records, tombstones included, of every site.
    pub async fn record_count(&self) -> Result<u32, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        Ok(transaction.store(CONTACTS_STORE)?.count(None).await?)
    }

    async fn page(&self, since: Option<u64>, page: u64) -> Result<ContactsPage, StoreError> {
        let mut window = SyncWindow::of(since, page);
        if let Some(page) = self.full_page_from_memory(window) {
            return Ok(page);
        }
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let latest = self.latest.get(); // taken as the read is created: see the module notes
        let index = transaction.store(CONTACTS_STORE)?.index("seq")?;
        // A delta this worker's memory holds, taken with `latest` (no write under way), is
        // answered from it once the database's newest record is that one: nobody else wrote.
        if let Some(records) = since.and_then(|_| self.delta_from_tail(window.from_seq)) {
            let newest = index
                .scan(None, Some(1), None, Some(Direction::Prev))
                .await?;
            let newest = newest.first().and_then(|(seq, _)| seq.as_f64());
            if newest.map_or(0, |seq| seq as u64) == latest {
                let (contacts, next_page, sync_timestamp) =
                    window.page(records, self.page_size, latest);
                return Ok(ContactsPage {
                    contacts,
                    next_page,
                    sync_timestamp,
                });
            }
        }
        if window.full {
            self.build_memory_soon(&db); // every widget load starts with a full sync
        }
        if let (true, Some(limit)) = (window.is_first_full_page(), self.full_sync_limit) {
            // The limit-th newest record: one cursor step back from the end.
            let oldest_kept = index
                .scan(None, Some(1), Some(limit - 1), Some(Direction::Prev))
                .await?;
            let oldest_kept = oldest_kept.first().and_then(|(seq, _)| seq.as_f64());
            window = window.starting_at(oldest_kept.map(|seq| seq as u64));
        }
        let range = KeyRange::lower_bound(&JsValue::from_f64(window.from_seq as f64), Some(false))
            .map_err(rexie::Error::from)?;
        let values = index
            .get_all(Some(range), Some(self.page_size as u32))
            .await?;
        let records: Vec<SyncedRecord> = from_js_list(values)?;
        let (contacts, next_page, sync_timestamp) = window.page(records, self.page_size, latest);
        Ok(ContactsPage {
            contacts,
            next_page,
            sync_timestamp,
        })
    }

    async fn find(&self, text: &str, limit: usize) -> Result<Vec<Contact>, StoreError> {
        let Some(query) = SearchQuery::parse(text) else {
            return Ok(Vec::new());
        };
        if let Some(found) = self.answered_from_memory(|index| index.search(&query, limit)) {
            return Ok(found);
        }
        let db = self.database().await?;
        self.build_memory_soon(&db);
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let store = transaction.store(CONTACTS_STORE)?;
        let index = store.index("tokens")?;
        let values = if query.tokens().len() == 1 {
            // One word: the first records of its range, in token order (exact words first).
            let range = prefix_range(query.index_prefix())?;
            index.get_all(Some(range), Some(SEARCH_CANDIDATES)).await?
        } else {
            // Several words: the keys under each word, up to a bound (Chromium counts by
            // walking, so a count would cost as much). Words whose keys all fit narrow the
            // search: their keys are intersected. A few matches are read one by one; more are
            // read in one request, the narrowest word's records (one range read costs a third
            // of separate reads per record), and the other words are checked on their tokens.
            // When every word is too common, the longest word's first records are read.
            let mut lookups = Vec::new();
            for token in query.tokens() {
                let range = prefix_range(token)?;
                lookups.push(index.get_all_keys(Some(range), Some(SEARCH_SCAN + 1)));
            }
            let mut common: Option<BTreeSet<String>> = None;
            let mut narrowest: Option<(usize, &str)> = None;
            for (keys, token) in join_all(lookups).await.into_iter().zip(query.tokens()) {
                let keys = keys?;
                if keys.len() > SEARCH_SCAN as usize {
                    continue; // too common to narrow anything down
                }
                if narrowest.is_none_or(|(fewest, _)| keys.len() < fewest) {
                    narrowest = Some((keys.len(), token.as_str()));
                }
                let keys: BTreeSet<String> = keys.iter().filter_map(|k| k.as_string()).collect();
                common = Some(match common {
                    None => keys,
                    Some(common) => common.intersection(&keys).cloned().collect(),
                });
            }
            match (common, narrowest) {
                (Some(keys), _) if keys.len() <= SEARCH_FEW => {
                    let keys: Vec<String> = keys.into_iter().collect();
                    get_many(&store, &keys)
                        .await?
                        .into_iter()
                        .flatten()
                        .collect()
                }
                (Some(keys), Some((_, token))) => {
                    let range = prefix_range(token)?;
                    let records = index.get_all(Some(range), Some(SEARCH_SCAN)).await?;
                    // Only the intersection's records are read into Rust.
                    let key_of = |record: &JsValue| {
                        js_sys::Reflect::get(record, &"key".into())
                            .ok()
                            .and_then(|k| k.as_string())
                    };
                    records
                        .into_iter()
                        .filter(|record| key_of(record).is_some_and(|k| keys.contains(&k)))
                        .collect()
                }
                _ => {
                    let range = prefix_range(query.index_prefix())?;
                    index.get_all(Some(range), Some(SEARCH_CANDIDATES)).await?
                }
            }
        };
        let records: Vec<ContactRecord> = from_js_list(values)?;
        let mut seen = BTreeSet::new();
        let scored = records
            .into_iter()
            .filter(|r| seen.insert(r.key.clone()))
            .filter_map(|r| Some((query.score_with(&r.contact, &r.tokens)?, r.contact)))
            .collect();
        Ok(best_first(scored, limit))
    }

    async fn lines(
        &self,
        numbers: &[String],
    ) -> Result<BTreeMap<String, Vec<Contact>>, StoreError> {
        if let Some(found) = self.answered_from_memory(|index| index.match_numbers(numbers)) {
            return Ok(found);
        }
        let asked: Vec<(&String, NumberKey)> = numbers
            .iter()
            .filter_map(|n| Some((n, NumberKey::parse(n)?)))
            .collect();
        if asked.is_empty() {
            return Ok(BTreeMap::new());
        }
        let db = self.database().await?;
        self.build_memory_soon(&db);
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let index = transaction.store(CONTACTS_STORE)?.index("numbers")?;
        // Every lookup is requested before the first is awaited, and all hits are read back
        // in one conversion.
        let mut nationals: Vec<&str> = asked.iter().map(|(_, k)| k.national.as_str()).collect();
        nationals.sort_unstable();
        nationals.dedup();
        let mut lookups = Vec::new();
        for national in &nationals {
            let range = KeyRange::only(&JsValue::from_str(national)).map_err(rexie::Error::from)?;
            lookups.push(index.get_all(Some(range), None));
        }
        // Each national number's hits, as a range of the one list that is read back.
        let mut hits = Vec::new();
        let mut ranges = Vec::with_capacity(nationals.len());
        for result in join_all(lookups).await {
            let start = hits.len();
            hits.extend(result?);
            ranges.push(start..hits.len());
        }
        let contacts: Vec<ContactView> = from_js_list(hits)?;
        // Each hit's lines, read once (not once per asked number).
        let lines: Vec<Vec<NumberKey>> = contacts
            .iter()
            .map(|c| c.contact.lines().collect())
            .collect();
        let mut found = BTreeMap::new();
        for (number, key) in &asked {
            let Ok(at) = nationals.binary_search(&key.national.as_str()) else {
                continue;
            };
            let mut matches: Vec<Contact> = ranges[at]
                .clone()
                .filter(|&i| {
                    !contacts[i].contact.deleted && lines[i].iter().any(|l| l.same_line(key))
                })
                .map(|i| contacts[i].contact.clone())
                .collect();
            matches.dedup_by(|a, b| a.id == b.id);
            if !matches.is_empty() {
                found.insert((*number).clone(), matches);
            }
        }
        Ok(found)
    }

    async fn get(&self, id: &str) -> Result<Option<Contact>, StoreError> {
        // A tombstone is not in memory: the database answers for it.
        if let Some(Some(found)) = self.answered_from_memory(|index| index.contact(id)) {
            return Ok(Some(found));
        }
        let db = self.database().await?;
        let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
        let value = transaction
            .store(CONTACTS_STORE)?
            .get(JsValue::from_str(id))
            .await?;
        Ok(value
            .map(from_js::<ContactRecord>)
            .transpose()?
            .map(|r| r.contact))
    }
}

impl ContactSource for StoreContacts {
    /// `absent`, `building`, `ready` (with the contacts it holds, its estimated size and how
    /// long it took to build) or `over budget`.
    fn memory_state(&self) -> String {
        match &*self.memory.borrow() {
            Memory::Absent => "absent".into(),
            Memory::Building(..) => "building".into(),
            Memory::Ready(index, built_ms) => format!(
                "ready: {} contacts, {:.1} MiB, built in {built_ms:.0} ms",
                index.len(),
                index.bytes() as f64 / f64::from(1 << 20)
            ),
            Memory::OverBudget => "over budget".into(),
        }
    }

    async fn contacts_page(
        &self,
        since: Option<u64>,
        page: u64,
    ) -> Result<ContactsPage, ServiceError> {
        self.page(since, page).await.map_err(service_error)
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<Contact>, ServiceError> {
        self.find(text, limit).await.map_err(service_error)
    }

    async fn match_numbers(
        &self,
        numbers: &[String],
    ) -> Result<BTreeMap<String, Vec<Contact>>, ServiceError> {
        self.lines(numbers).await.map_err(service_error)
    }

    async fn contact(&self, id: &str) -> Result<Option<Contact>, ServiceError> {
        self.get(id).await.map_err(service_error)
    }

    async fn on_national_number(&self, national: &str) -> Result<Vec<Contact>, ServiceError> {
        if let Some(found) = self.answered_from_memory(|index| index.on_national_number(national)) {
            return Ok(found);
        }
        let result: Result<Vec<Contact>, StoreError> = async {
            let db = self.database().await?;
            let transaction = db.transaction(&[CONTACTS_STORE], TransactionMode::ReadOnly)?;
            let index = transaction.store(CONTACTS_STORE)?.index("numbers")?;
            let range = KeyRange::only(&JsValue::from_str(national)).map_err(rexie::Error::from)?;
            let hits: Vec<ContactView> = from_js_list(index.get_all(Some(range), None).await?)?;
            Ok(hits.into_iter().map(|hit| hit.contact).collect())
        }
        .await;
        result.map_err(service_error)
    }
}

impl ContactSink for StoreContacts {
    async fn upsert(
        &self,
        site: &str,
        contacts: Vec<Contact>,
    ) -> Result<WriteSummary, ServiceError> {
        self.writing(self.put_seen(site, contacts))
            .await
            .map_err(service_error)
    }

    async fn import(&self, site: &str, contacts: Vec<Contact>) -> Result<usize, ServiceError> {
        self.writing(self.put_blind(site, contacts))
            .await
            .map_err(service_error)
    }

    async fn import_part(
        &self,
        site: &str,
        contacts: Vec<Contact>,
        batch: &ImportBatch,
    ) -> Result<usize, ServiceError> {
        self.stream_part(site, contacts, batch)
            .await
            .map_err(service_error)
    }

    async fn remove(&self, site: &str, ids: &[String]) -> Result<WriteSummary, ServiceError> {
        self.writing(self.put_tombstones(site, ids))
            .await
            .map_err(service_error)
    }

    async fn forget_site(&self, site: &str) -> Result<usize, ServiceError> {
        self.writing(self.tombstone_site(site))
            .await
            .map_err(service_error)
    }

    async fn count(&self, site: &str) -> Result<usize, ServiceError> {
        self.count_site(site).await.map_err(service_error)
    }

    async fn last_read(&self, site: &str) -> Result<Option<f64>, ServiceError> {
        self.site_last_read(site).await.map_err(service_error)
    }

    async fn export(&self, site: &str) -> Result<Vec<Contact>, ServiceError> {
        let records = self.site_records(site).await.map_err(service_error)?;
        Ok(records.iter().map(ContactRecord::local_contact).collect())
    }
}
