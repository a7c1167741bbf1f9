//! IndexedDB, through rexie, owned by the background context only.
//!
//! An extension frame inside a web page is a third-party context, and browsers that block
//! third-party storage refuse it IndexedDB; so only the background opens the database, and
//! everything else asks the background (see `docs/toolchain.md`).
//!
//! Schema history (each version has a fixture in `tests/fixtures/store/` that the upgrade test
//! opens with the current code):
//! - v1: `meta`.
//! - v2: `contacts` (key `<site>#<id>`; indexes `seq` unique, `numbers` and `tokens`
//!   multi-entry, `site` on `liveSite`: live records only), `syncState` (per site), `logs` and `outbox` (for the logging
//!   journal). Upgrading keeps `meta` as it is.
//! - v3: `logs` gains a `time` index, so the journal view reads a date range newest first and
//!   stops at what it shows, instead of reading the whole journal. IndexedDB fills the index
//!   from the stored entries during the upgrade.

pub mod contacts;
pub mod journal;
pub(crate) mod lazy;
pub(crate) mod records;

use crate::storage_fault::{detail, StoreFault};
use rexie::{Index, ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

/// The database every crm-bridge store lives in.
pub const DATABASE_NAME: &str = "crm-bridge";
pub use crate::DATABASE_VERSION;
/// Small key/value records (install time, schema notes).
pub const META_STORE: &str = "meta";
/// Contacts of every site, with tombstones.
pub const CONTACTS_STORE: &str = "contacts";
/// Per-site sync state (last discovery, last import).
pub const SYNC_STATE_STORE: &str = "syncState";
/// Call and message log entries (the journal).
pub const LOGS_STORE: &str = "logs";
/// Deliveries waiting to be sent.
pub const OUTBOX_STORE: &str = "outbox";
/// How long opening may wait for an older connection to let go before saying so.
pub const OPEN_TIMEOUT_MS: u32 = 5_000;

/// A storage failure, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl StoreError {
    /// The words for a failure the browser reported (`name: message`, or a debug dump of the
    /// exception): short and without the stack ([`StoreFault`]). A connection the browser
    /// closed is opened again by the next request ([`lazy::LazyDatabase`]), and each failure
    /// is noted for Diagnostics ([`take_unreported_faults`]).
    pub fn from_browser(report: &str) -> Self {
        let fault = StoreFault::of(report);
        let words = fault.sentence(report);
        FAULTS.with(|faults| faults.borrow_mut().note(fault, &words, &detail(report)));
        StoreError(words)
    }
}

impl From<rexie::Error> for StoreError {
    fn from(err: rexie::Error) -> Self {
        // idb's Display holds the exception's `name: message` (its Debug, the JS stack).
        let report = match &err {
            rexie::Error::IdbError(inner) => inner.to_string(),
            other => other.to_string(),
        };
        StoreError::from_browser(&report)
    }
}

/// Store failures of this worker, for the connection and for Diagnostics.
#[derive(Default)]
struct Faults {
    /// How many times the browser closed the database under us: a connection opened before
    /// the latest close is dropped and opened again.
    closed: u32,
    /// Failures not yet told to Diagnostics (a few; repeats of the last are not kept twice).
    unreported: Vec<String>,
}

/// At most this many failures wait for Diagnostics between two requests.
const UNREPORTED_LIMIT: usize = 8;

impl Faults {
    fn note(&mut self, fault: StoreFault, words: &str, detail: &str) {
        if matches!(
            fault,
            StoreFault::Closed | StoreFault::Full | StoreFault::Slow
        ) {
            self.closed = self.closed.wrapping_add(1);
        }
        let line = if detail.is_empty() {
            words.to_owned()
        } else {
            format!("{words} ({detail})")
        };
        if self.unreported.last() != Some(&line) && self.unreported.len() < UNREPORTED_LIMIT {
            self.unreported.push(line);
        }
    }
}

thread_local! {
    static FAULTS: std::cell::RefCell<Faults> = Default::default();
}

/// How many times the browser closed the database in this worker (see [`Faults::closed`]).
pub(crate) fn times_closed() -> u32 {
    FAULTS.with(|faults| faults.borrow().closed)
}

/// The store failures since the last call, for the background to put in Diagnostics.
pub fn take_unreported_faults() -> Vec<String> {
    FAULTS.with(|faults| std::mem::take(&mut faults.borrow_mut().unreported))
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens (creating or upgrading) the database `name`; tests pass their own name. An upgrade
/// waits for older connections to close; if one does not within [`OPEN_TIMEOUT_MS`], this says
/// so instead of hanging (the caller tries again on its next request).
pub async fn open(name: &str) -> Result<Rexie, StoreError> {
    let build = Rexie::builder(name)
        .version(DATABASE_VERSION)
        .add_object_store(ObjectStore::new(META_STORE).key_path("key"))
        .add_object_store(
            ObjectStore::new(CONTACTS_STORE)
                .key_path("key")
                .add_index(Index::new("seq", "seq").unique(true))
                .add_index(Index::new("numbers", "numbers").multi_entry(true))
                .add_index(Index::new("tokens", "tokens").multi_entry(true))
                .add_index(Index::new("site", "liveSite")),
        )
        .add_object_store(ObjectStore::new(SYNC_STATE_STORE).key_path("site"))
        .add_object_store(
            ObjectStore::new(LOGS_STORE)
                .key_path("key")
                .add_index(Index::new("contact", "contactId"))
                .add_index(Index::new("time", "time")),
        )
        .add_object_store(
            ObjectStore::new(OUTBOX_STORE)
                .key_path("key")
                .add_index(Index::new("due", "due")),
        )
        .build();
    let timeout = gloo_timers::future::TimeoutFuture::new(OPEN_TIMEOUT_MS);
    futures_select(build, timeout).await.unwrap_or_else(|| {
        Err(StoreError(format!(
            "the contact store is held open by an older crm-bridge page; close other \
             crm-bridge windows or restart the browser (waited {} s)",
            OPEN_TIMEOUT_MS / 1000
        )))
    })
}

/// The first of two futures: `Some` with the result, `None` when the timeout won.
async fn futures_select<T, E: Into<StoreError>>(
    work: impl std::future::Future<Output = Result<T, E>>,
    timeout: gloo_timers::future::TimeoutFuture,
) -> Option<Result<T, StoreError>> {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;
    let mut work = pin!(work);
    let mut timeout = pin!(timeout);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(result.map_err(Into::into)));
        }
        if timeout.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// How long one change may take before it is given up: a browser whose disk is full may
/// never answer a transaction, and the request (a call log) must still get an answer.
pub const WRITE_TIMEOUT_MS: u32 = 8_000;

/// `work`, or a [`StoreFault::Slow`] error when it takes longer than [`WRITE_TIMEOUT_MS`]
/// (then the connection is opened again for the next request).
pub(crate) async fn within_time<T>(
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let timeout = gloo_timers::future::TimeoutFuture::new(WRITE_TIMEOUT_MS);
    futures_select(work, timeout).await.unwrap_or_else(|| {
        Err(StoreError::from_browser(&format!(
            "TimeoutError: the store did not answer within {} s",
            WRITE_TIMEOUT_MS / 1000
        )))
    })
}

/// Writes `{key, value}` into the meta store in one transaction.
pub async fn put_meta(db: &Rexie, key: &str, value: &JsValue) -> Result<(), StoreError> {
    let record = js_sys::Object::new();
    js_sys::Reflect::set(&record, &"key".into(), &key.into()).map_err(js_error)?;
    js_sys::Reflect::set(&record, &"value".into(), value).map_err(js_error)?;
    let transaction = db.transaction(&[META_STORE], TransactionMode::ReadWrite)?;
    transaction.store(META_STORE)?.put(&record, None).await?;
    transaction.done().await?;
    Ok(())
}

/// Reads the value stored under `key` in the meta store.
pub async fn get_meta(db: &Rexie, key: &str) -> Result<Option<JsValue>, StoreError> {
    let transaction = db.transaction(&[META_STORE], TransactionMode::ReadOnly)?;
    let record = transaction.store(META_STORE)?.get(key.into()).await?;
    transaction.done().await?;
    match record {
        Some(record) => Ok(Some(
            js_sys::Reflect::get(&record, &"value".into()).map_err(js_error)?,
        )),
        None => Ok(None),
    }
}

fn js_error(value: JsValue) -> StoreError {
    StoreError::from_browser(&format!("{value:?}"))
}
