//! IndexedDB, through rexie, owned by the background context only.
//!
//! An extension frame inside a web page is a third-party context, and browsers that block
//! third-party storage refuse it IndexedDB; so only the background opens the database, and
//! everything else asks the background (see `../shared/toolchain.md`).

use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

/// The database every crm-bridge store lives in.
pub const DATABASE_NAME: &str = "crm-bridge";
/// Schema version; each bump comes with a migration and a fixture of the previous version.
pub const DATABASE_VERSION: u32 = 1;
/// Small key/value records (install time, schema notes).
pub const META_STORE: &str = "meta";

/// A storage failure, in words.
#[derive(Debug)]
pub struct StoreError(pub String);

impl From<rexie::Error> for StoreError {
    fn from(err: rexie::Error) -> Self {
        StoreError(err.to_string())
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens (creating or upgrading) the database `name`; tests pass their own name.
pub async fn open(name: &str) -> Result<Rexie, StoreError> {
    Ok(Rexie::builder(name)
        .version(DATABASE_VERSION)
        .add_object_store(ObjectStore::new(META_STORE).key_path("key"))
        .build()
        .await?)
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
    StoreError(format!("{value:?}"))
}
