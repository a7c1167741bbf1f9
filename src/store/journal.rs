//! The journal and the outbox over IndexedDB: the background's [`LogStore`].
//!
//! A log request is one read-write transaction over both stores: read the entry, fold the
//! request in ([`crate::logging::merge`]), write the new revision and its deliveries. The
//! widget gets "ok" only after that transaction committed, so a log the user saw succeed
//! survives the worker, the window and the browser closing; the deliveries leave the outbox
//! only when their destination answered 2xx ([`StoreJournal::settle`]).

use super::lazy::LazyDatabase;
use super::records::{
    finish, from_js, from_js_list, get_many, join_all, join_pair, js_items, js_value, service_error,
};
use super::within_time;
use super::{open, StoreError, LOGS_STORE, OUTBOX_STORE};
use crate::logging::destinations::{forgotten_with, Destinations};
use crate::logging::entry::JournalEntry;
use crate::logging::journal::{activity, log_match, JournalWrite};
use crate::logging::journal_import::JournalImport;
use crate::logging::journal_view::JournalQuery;
use crate::logging::merge::{merge_call, merge_messages, ContactLink, Merged, RefusedLog};
use crate::logging::notice::delivery_status_lines;
use crate::logging::outbox::{Delivery, Verdict};
use crate::service::data::{Activity, LogMatch, LogStore, LogSummary, LogWritten, ServiceError};
use crate::service::requests::{CallLog, MessageLog};
use rexie::{Direction, KeyRange, Rexie, TransactionMode};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// At most this many session and conversation ids are remembered by the matcher cache
/// (beyond it the cache starts over; the journal itself has no limit).
pub const MATCH_CACHE_LIMIT: usize = 100_000;
/// Recently written entries kept whole (calls being auto-logged while they run).
const RECENT_ENTRIES: usize = 256;
/// Journal entries read at a time, newest first, while a search looks for its matches.
pub const JOURNAL_BATCH: u32 = 500;

/// The journal of every site, and the deliveries waiting to leave.
pub struct StoreJournal {
    name: String,
    db: LazyDatabase,
    /// Entry key → what the log matchers answer for it (`None`: known not logged). Only this
    /// worker writes the journal, so what it wrote or read stays true; the widget asks the
    /// matchers again and again for the same calls, and 1,000 ids must answer in milliseconds.
    matches: RefCell<HashMap<String, Option<LogMatch>>>,
    /// Entries this worker wrote lately, whole: the next update of a live call (auto-log sends
    /// several) merges without reading it back.
    recent: RefCell<HashMap<String, JournalEntry>>,
    /// The matchers' status lines, as of the outbox's last status reading (every schedule of
    /// the courier reads it, so after each attempt and each new log with a destination).
    status_lines: RefCell<HashMap<String, serde_json::Value>>,
    /// One journal change at a time (a log, forgetting a site). A log merges into the entry as
    /// this worker last wrote it (`recent`), outside the transaction: two updates of one call
    /// merged at once would each start from the same revision and the later would drop the
    /// earlier's fields, and an update merged while its site is forgotten would write the
    /// forgotten entry back. IndexedDB runs these read-write transactions one at a time anyway.
    writing: futures_util::lock::Mutex<()>,
}

impl StoreJournal {
    /// A journal over database `name`, opened on first use.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            db: LazyDatabase::default(),
            matches: RefCell::new(HashMap::new()),
            recent: RefCell::new(HashMap::new()),
            status_lines: RefCell::new(HashMap::new()),
            writing: futures_util::lock::Mutex::new(()),
        }
    }

    /// The stored entry `key` if this worker knows it without reading: `Some(None)` when the
    /// matcher cache knows it was never logged, `Some(Some(entry))` for a recent write.
    fn known(&self, key: &str) -> Option<Option<JournalEntry>> {
        if let Some(entry) = self.recent.borrow().get(key) {
            return Some(Some(entry.clone()));
        }
        match self.matches.borrow().get(key) {
            Some(None) => Some(None),
            _ => None,
        }
    }

    fn keep_recent(&self, entry: &JournalEntry) {
        let mut recent = self.recent.borrow_mut();
        if recent.len() >= RECENT_ENTRIES {
            recent.clear();
        }
        recent.insert(entry.key.clone(), entry.clone());
    }

    fn remember(&self, key: String, found: Option<LogMatch>) {
        let mut matches = self.matches.borrow_mut();
        if matches.len() >= MATCH_CACHE_LIMIT {
            matches.clear();
        }
        matches.insert(key, found);
    }

    async fn database(&self) -> Result<Rc<Rexie>, StoreError> {
        self.db.get(|| open(&self.name)).await
    }

    /// Closes the database (tests).
    pub fn close(&self) {
        self.db.close();
    }

    /// Folds a request into the entry `key` with `merge` and writes the result and its
    /// deliveries in one transaction. Most requests are the first log of their call or
    /// conversation-day, so an entry this worker knows nothing about is first written as new
    /// without reading (an `add`, which the database refuses, changing nothing, if the entry
    /// exists after all); only then is it read and merged.
    async fn write(
        &self,
        key: &str,
        destinations: &Destinations,
        merge: impl Fn(Option<&JournalEntry>, f64) -> Result<Merged, RefusedLog>,
    ) -> Result<LogWritten, ServiceError> {
        let written = within_time(async {
            let db = self.database().await?;
            let _turn = self.writing.lock().await;
            let prior = match self.known(key) {
                Some(entry) => Prior::Known(entry.map(Box::new)),
                None => Prior::AssumedNew,
            };
            let written = match self.write_once(&db, key, destinations, &merge, prior).await {
                Err(Failure::NotNew) => {
                    self.write_once(&db, key, destinations, &merge, Prior::Read)
                        .await
                }
                other => other,
            };
            Ok(written)
        })
        .await
        .map_err(service_error)?;
        written.map_err(|failure| match failure {
            Failure::NotNew => ServiceError("the log entry changed while it was written".into()),
            Failure::Store(err) => service_error(err),
        })
    }

    async fn write_once(
        &self,
        db: &Rexie,
        key: &str,
        destinations: &Destinations,
        merge: &impl Fn(Option<&JournalEntry>, f64) -> Result<Merged, RefusedLog>,
        prior: Prior,
    ) -> Result<LogWritten, Failure> {
        let transaction =
            db.transaction(&[LOGS_STORE, OUTBOX_STORE], TransactionMode::ReadWrite)?;
        let logs = transaction.store(LOGS_STORE)?;
        let assumed_new = matches!(prior, Prior::AssumedNew);
        let old = match prior {
            Prior::Known(entry) => entry.map(|e| *e),
            Prior::AssumedNew => None,
            Prior::Read => logs
                .get(JsValue::from_str(key))
                .await?
                .map(from_js)
                .transpose()?,
        };
        let now = js_sys::Date::now();
        let merged = match merge(old.as_ref(), now) {
            Ok(merged) => merged,
            Err(refused) => {
                transaction.abort().await?;
                // Refused as a first log, it may still fold into an entry that exists.
                return Err(match assumed_new {
                    true => Failure::NotNew,
                    false => Failure::Store(StoreError(refused.0)),
                });
            }
        };
        let write = JournalWrite::of(merged, destinations, now);
        let outbox = transaction.store(OUTBOX_STORE)?;
        // Every write is issued before the first is awaited: one round trip, not three.
        let entry = match write.changed {
            true => Some(js_value(&write.entry)?),
            false => None,
        };
        let deliveries = js_items(&write.deliveries)?;
        let entry_write = entry.iter().map(|value| -> Write<'_> {
            match assumed_new {
                true => Box::pin(logs.add(value, None)),
                false => Box::pin(logs.put(value, None)),
            }
        });
        let puts = entry_write
            .chain(
                deliveries
                    .iter()
                    .map(|(value, _)| -> Write<'_> { Box::pin(outbox.put(value, None)) }),
            )
            .collect();
        // Committed as soon as the writes are done, without waiting for their success events
        // to be handled first (puts are issued when first polled, before the commit is).
        let (puts, committed) = join_pair(join_all(puts), transaction.commit()).await;
        for put in puts {
            match put {
                Ok(_) => {}
                Err(err) if assumed_new && format!("{err:?}").contains("ConstraintError") => {
                    return Err(Failure::NotNew)
                }
                Err(err) => return Err(err.into()),
            }
        }
        // A commit the browser fails is a failing disk far more often than anything else.
        committed.map_err(|err| {
            StoreError::from_browser(&format!("UnknownError: the log was not committed ({err})"))
        })?;
        self.remember(write.entry.key.clone(), Some(log_match(&write.entry)));
        self.keep_recent(&write.entry);
        Ok(LogWritten {
            key: write.entry.key,
            queued: write.deliveries.len(),
        })
    }

    async fn entries(&self, keys: &[String]) -> Result<Vec<Option<JournalEntry>>, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[LOGS_STORE], TransactionMode::ReadOnly)?;
        let store = transaction.store(LOGS_STORE)?;
        get_many(&store, keys)
            .await?
            .into_iter()
            .map(|value| value.map(from_js).transpose())
            .collect()
    }

    async fn matches(
        &self,
        ids: &[String],
        key_of: fn(&str) -> String,
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, StoreError> {
        let keys: Vec<String> = ids.iter().map(|id| key_of(id)).collect();
        let missing: Vec<String> = {
            let known = self.matches.borrow();
            keys.iter()
                .filter(|k| !known.contains_key(*k))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            for (key, entry) in missing.iter().zip(self.entries(&missing).await?) {
                self.remember(key.clone(), entry.as_ref().map(log_match));
            }
        }
        let known = self.matches.borrow();
        Ok(ids
            .iter()
            .zip(&keys)
            .filter_map(|(id, key)| Some((id.clone(), vec![known.get(key)?.clone()?])))
            .collect())
    }

    /// Deliveries due at `now` (oldest due first), at most `limit`; stopped ones never are.
    pub async fn due_deliveries(&self, now: f64, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let range = KeyRange::upper_bound(&JsValue::from_f64(now), Some(false))
            .map_err(rexie::Error::from)?;
        let values = transaction
            .store(OUTBOX_STORE)?
            .index("due")?
            .get_all(Some(range), Some(limit))
            .await?;
        let due: Vec<Delivery> = from_js_list(values)?;
        Ok(due.into_iter().filter(|d| d.is_due(now)).collect())
    }

    /// Every waiting delivery, whole (to change and write back).
    pub async fn deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let values = transaction.store(OUTBOX_STORE)?.get_all(None, None).await?;
        from_js_list(values)
    }

    /// Every waiting delivery without its body (see [`Delivery::without_body`]): what the
    /// badge, the banner, the next alarm and the options page need. Each schedule reads the
    /// whole outbox, and bodies (a note may be megabytes) are left in the browser instead of
    /// being copied into Wasm every time.
    pub async fn deliveries_without_bodies(&self) -> Result<Vec<Delivery>, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let values = transaction.store(OUTBOX_STORE)?.get_all(None, None).await?;
        let empty = JsValue::from_str("");
        for value in &values {
            js_sys::Reflect::set(value, &"body".into(), &empty)
                .map_err(|e| StoreError::from_browser(&format!("{e:?}")))?;
        }
        let waiting: Vec<Delivery> = from_js_list(values)?;
        *self.status_lines.borrow_mut() = delivery_status_lines(&waiting);
        Ok(waiting)
    }

    /// Records an attempt's verdict for `sent`: a delivered one leaves the outbox, a failed
    /// one is kept with its next due time. A newer revision that replaced it meanwhile is
    /// left alone (it is still to be delivered).
    pub async fn settle(&self, sent: &Delivery, verdict: Verdict) -> Result<(), StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[OUTBOX_STORE], TransactionMode::ReadWrite)?;
        let store = transaction.store(OUTBOX_STORE)?;
        let key = JsValue::from_str(&sent.key);
        let current: Option<Delivery> = store.get(key.clone()).await?.map(from_js).transpose()?;
        let same = current.as_ref().is_some_and(|c| c.is_settled_by(sent));
        match verdict {
            Verdict::Delivered if same => store.delete(key).await?,
            Verdict::Keep(next) if same => {
                store.put(&js_value(&next)?, None).await?;
            }
            _ => {}
        }
        finish(transaction.done().await?)
    }

    /// The user's "retry now" on deliveries (all of them when `keys` is empty).
    pub async fn retry(&self, keys: &[String], now: f64) -> Result<usize, StoreError> {
        self.change_deliveries(keys, |d| Some(d.retried_by_user(now)))
            .await
    }

    /// The user's "discard" (the entries stay in the journal).
    pub async fn discard(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.change_deliveries(keys, |_| None).await
    }

    async fn change_deliveries(
        &self,
        keys: &[String],
        change: impl Fn(&Delivery) -> Option<Delivery>,
    ) -> Result<usize, StoreError> {
        let all = self.deliveries().await?;
        let chosen: Vec<&Delivery> = all
            .iter()
            .filter(|d| keys.is_empty() || keys.contains(&d.key))
            .collect();
        let db = self.database().await?;
        let transaction = db.transaction(&[OUTBOX_STORE], TransactionMode::ReadWrite)?;
        let store = transaction.store(OUTBOX_STORE)?;
        for delivery in &chosen {
            match change(delivery) {
                Some(changed) => {
                    store.put(&js_value(&changed)?, None).await?;
                }
                None => store.delete(JsValue::from_str(&delivery.key)).await?,
            }
        }
        finish(transaction.done().await?)?;
        Ok(chosen.len())
    }

    /// How many journal entries and waiting deliveries there are (the store's census).
    pub async fn census_counts(&self) -> Result<(u64, u64), StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[LOGS_STORE, OUTBOX_STORE], TransactionMode::ReadOnly)?;
        let logs = transaction.store(LOGS_STORE)?.count(None).await?;
        let waiting = transaction.store(OUTBOX_STORE)?.count(None).await?;
        Ok((u64::from(logs), u64::from(waiting)))
    }

    /// How many journal entries there are.
    pub async fn count(&self) -> Result<u32, StoreError> {
        let db = self.database().await?;
        let transaction = db.transaction(&[LOGS_STORE], TransactionMode::ReadOnly)?;
        Ok(transaction.store(LOGS_STORE)?.count(None).await?)
    }
}

/// Journal times from `from` (inclusive) to `to` (exclusive); `None` for all of them.
fn time_range(from: Option<f64>, to: Option<f64>) -> Result<Option<KeyRange>, StoreError> {
    let (from, to) = (from.map(JsValue::from_f64), to.map(JsValue::from_f64));
    let range = match (&from, &to) {
        (Some(from), Some(to)) => KeyRange::bound(from, to, Some(false), Some(true)),
        (Some(from), None) => KeyRange::lower_bound(from, Some(false)),
        (None, Some(to)) => KeyRange::upper_bound(to, Some(true)),
        (None, None) => return Ok(None),
    };
    Ok(Some(range.map_err(rexie::Error::from)?))
}

/// One request of a write transaction (an `add` or a `put`), boxed to be awaited together.
type Write<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, rexie::Error>> + 'a>>;

/// What a log write knew of the entry it merges into.
enum Prior {
    /// This worker wrote or read it lately (`None`: known not to exist).
    Known(Option<Box<JournalEntry>>),
    /// Nothing known: written as new, refused if it exists.
    AssumedNew,
    /// Read in the write's transaction.
    Read,
}

/// Why one write attempt did not commit.
enum Failure {
    /// The entry assumed new exists (nothing was written): read it and merge.
    NotNew,
    /// Anything else.
    Store(StoreError),
}

impl<E: Into<StoreError>> From<E> for Failure {
    fn from(err: E) -> Self {
        Failure::Store(err.into())
    }
}

impl LogStore for StoreJournal {
    async fn log_call(
        &self,
        log: &CallLog,
        link: ContactLink,
        destinations: &Destinations,
    ) -> Result<LogWritten, ServiceError> {
        let key = JournalEntry::call_key(&log.call.session_id);
        self.write(&key, destinations, |old, now| {
            merge_call(old, log, link.clone(), now)
        })
        .await
    }

    async fn log_message(
        &self,
        log: &MessageLog,
        link: ContactLink,
        destinations: &Destinations,
    ) -> Result<LogWritten, ServiceError> {
        let key = JournalEntry::messages_key(&log.conversation.conversation_log_id);
        self.write(&key, destinations, |old, now| {
            merge_messages(old, log, link.clone(), now)
        })
        .await
    }

    async fn call_log_matches(
        &self,
        session_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, ServiceError> {
        self.matches(session_ids, JournalEntry::call_key)
            .await
            .map_err(service_error)
    }

    async fn message_log_matches(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, ServiceError> {
        self.matches(ids, JournalEntry::messages_key)
            .await
            .map_err(service_error)
    }

    fn delivery_status_line(&self, entry_key: &str) -> Option<serde_json::Value> {
        self.status_lines.borrow().get(entry_key).cloned()
    }

    async fn activities(&self, contact_id: &str) -> Result<Vec<Activity>, ServiceError> {
        let result: Result<Vec<Activity>, StoreError> = async {
            let db = self.database().await?;
            let transaction = db.transaction(&[LOGS_STORE], TransactionMode::ReadOnly)?;
            let range =
                KeyRange::only(&JsValue::from_str(contact_id)).map_err(rexie::Error::from)?;
            let values = transaction
                .store(LOGS_STORE)?
                .index("contact")?
                .get_all(Some(range), None)
                .await?;
            let entries: Vec<JournalEntry> = from_js_list(values)?;
            let mut rows: Vec<Activity> = entries.iter().map(activity).collect();
            rows.sort_by(|a, b| b.time.total_cmp(&a.time));
            Ok(rows)
        }
        .await;
        result.map_err(service_error)
    }

    async fn summary(&self) -> Result<LogSummary, ServiceError> {
        let entries = self.count().await.map_err(service_error)?;
        let waiting = self
            .deliveries_without_bodies()
            .await
            .map_err(service_error)?;
        Ok(LogSummary::of(entries as usize, &waiting))
    }

    /// The entries of the query's date range, newest first, read from the `time` index in
    /// windows of about [`JOURNAL_BATCH`] entries until the query has as many as it shows (or
    /// the range is exhausted). A window is found by one cursor step back from its upper end
    /// and read with one `getAll` (a cursor read value by value costs a task per entry: a
    /// search through 20,000 entries took 2.8 s that way).
    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, ServiceError> {
        let result: Result<Vec<JournalEntry>, StoreError> = async {
            if let (Some(from), Some(to)) = (query.from, query.to) {
                if from >= to {
                    return Ok(Vec::new()); // an empty range
                }
            }
            let db = self.database().await?;
            let transaction = db.transaction(&[LOGS_STORE], TransactionMode::ReadOnly)?;
            let index = transaction.store(LOGS_STORE)?.index("time")?;
            let wanted = query.shown();
            let mut found = Vec::new();
            let mut upper = query.to;
            loop {
                // The time of the window's oldest entry: JOURNAL_BATCH entries back from `upper`.
                let oldest = index
                    .scan(
                        time_range(query.from, upper)?,
                        Some(1),
                        Some(JOURNAL_BATCH - 1),
                        Some(Direction::Prev),
                    )
                    .await?
                    .first()
                    .and_then(|(time, _)| time.as_f64());
                // Every entry from that time on (ties included) below `upper`.
                let lower = match (oldest, query.from) {
                    (Some(oldest), Some(from)) => Some(oldest.max(from)),
                    (oldest, from) => oldest.or(from),
                };
                let values = index.get_all(time_range(lower, upper)?, None).await?;
                found.extend(query.select(from_js_list(values)?));
                match oldest {
                    Some(oldest) if found.len() < wanted => upper = Some(oldest),
                    _ => break,
                }
            }
            Ok(query.select(found))
        }
        .await;
        result.map_err(service_error)
    }

    async fn waiting(&self) -> Result<Vec<Delivery>, ServiceError> {
        self.deliveries_without_bodies()
            .await
            .map_err(service_error)
    }

    async fn retry_deliveries(&self, keys: &[String]) -> Result<usize, ServiceError> {
        self.retry(keys, js_sys::Date::now())
            .await
            .map_err(service_error)
    }

    async fn forget_site(&self, site: &str) -> Result<usize, ServiceError> {
        let result: Result<usize, StoreError> = async {
            let db = self.database().await?;
            let _turn = self.writing.lock().await;
            let transaction =
                db.transaction(&[LOGS_STORE, OUTBOX_STORE], TransactionMode::ReadWrite)?;
            let logs = transaction.store(LOGS_STORE)?;
            let entries: Vec<JournalEntry> = from_js_list(logs.get_all(None, None).await?)?;
            let gone: Vec<String> = entries
                .into_iter()
                .filter(|e| e.contact.site.as_deref() == Some(site))
                .map(|e| e.key)
                .collect();
            for key in &gone {
                logs.delete(JsValue::from_str(key)).await?;
            }
            let outbox = transaction.store(OUTBOX_STORE)?;
            let waiting: Vec<Delivery> = from_js_list(outbox.get_all(None, None).await?)?;
            for delivery in waiting
                .iter()
                .filter(|d| forgotten_with(site, &d.destination, &d.entry_key, &gone))
            {
                outbox.delete(JsValue::from_str(&delivery.key)).await?;
            }
            finish(transaction.done().await?)?;
            self.matches.borrow_mut().clear();
            self.recent.borrow_mut().clear();
            Ok(gone.len())
        }
        .await;
        result.map_err(service_error)
    }

    async fn discard_deliveries(&self, keys: &[String]) -> Result<usize, ServiceError> {
        self.discard(keys).await.map_err(service_error)
    }

    async fn import_entries(
        &self,
        entries: Vec<JournalEntry>,
    ) -> Result<JournalImport, ServiceError> {
        let result: Result<JournalImport, StoreError> = async {
            let db = self.database().await?;
            let transaction = db.transaction(&[LOGS_STORE], TransactionMode::ReadWrite)?;
            let logs = transaction.store(LOGS_STORE)?;
            let keys: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
            let held = get_many(&logs, &keys).await?;
            let mut fresh: Vec<&JournalEntry> = Vec::new();
            for (entry, held) in entries.iter().zip(held) {
                // A file may list an entry twice: the first one counts.
                if held.is_none() && !fresh.iter().any(|f| f.key == entry.key) {
                    fresh.push(entry);
                }
            }
            let values = js_items(&fresh)?;
            let puts = values
                .iter()
                .map(|(value, _)| logs.put(value, None))
                .collect();
            let (puts, done) = join_pair(join_all(puts), transaction.done()).await;
            for put in puts {
                put?;
            }
            finish(done?)?;
            // The matcher cache may know these ids as "never logged".
            for entry in &fresh {
                self.remember(entry.key.clone(), Some(log_match(entry)));
            }
            Ok(JournalImport {
                added: fresh.len(),
                kept: entries.len() - fresh.len(),
            })
        }
        .await;
        result.map_err(service_error)
    }

    async fn entry(&self, key: &str) -> Result<Option<JournalEntry>, ServiceError> {
        let mut found = self
            .entries(&[key.to_owned()])
            .await
            .map_err(service_error)?;
        Ok(found.pop().flatten())
    }
}
