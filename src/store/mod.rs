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
    /// The words for a failure the browser reported as `name: message`.
    pub fn from_browser(detail: &str) -> Self {
        if detail.contains("QuotaExceededError") {
            return StoreError(
                "the browser's storage for crm-bridge is full: nothing of this change was kept. \
                 Free disk space, or forget sites you no longer use in the options page."
                    .into(),
            );
        }
        StoreError(format!("the contact store failed: {detail}"))
    }
}

impl From<rexie::Error> for StoreError {
    fn from(err: rexie::Error) -> Self {
        let detail = match &err {
            rexie::Error::IdbError(inner) => format!("{inner:?}"),
            other => other.to_string(),
        };
        StoreError::from_browser(&detail)
    }
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

/// The first of two futures: `Some` with the open result, `None` when the timeout won.
async fn futures_select(
    build: impl std::future::Future<Output = Result<Rexie, rexie::Error>>,
    timeout: gloo_timers::future::TimeoutFuture,
) -> Option<Result<Rexie, StoreError>> {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;
    let mut build = pin!(build);
    let mut timeout = pin!(timeout);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = build.as_mut().poll(cx) {
            return Poll::Ready(Some(result.map_err(StoreError::from)));
        }
        if timeout.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
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
