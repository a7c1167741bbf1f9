//! IndexedDB cases shared by the service-worker (Chrome's background) and page (Firefox's event
//! page) test binaries: each opens a real database through rexie, writes, reads back, and
//! deletes it.

use crm_bridge::store;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn fresh_name() -> String {
    format!("crm-bridge-test-{}", js_sys::Math::random())
}

#[wasm_bindgen_test]
async fn meta_values_round_trip_through_indexeddb() {
    let name = fresh_name();
    let db = store::open(&name).await.expect("open");
    assert_eq!(db.version().unwrap(), store::DATABASE_VERSION);
    store::put_meta(&db, "installedAt", &JsValue::from_f64(1_764_000_000_000.0))
        .await
        .expect("put");
    let back = store::get_meta(&db, "installedAt").await.expect("get");
    assert_eq!(back.and_then(|v| v.as_f64()), Some(1_764_000_000_000.0));
    assert!(store::get_meta(&db, "missing")
        .await
        .expect("get")
        .is_none());
    db.close();
    rexie::Rexie::delete(&name).await.expect("delete");
}

#[wasm_bindgen_test]
async fn data_survives_closing_and_reopening() {
    let name = fresh_name();
    let db = store::open(&name).await.expect("open");
    store::put_meta(&db, "k", &JsValue::from_str("kept"))
        .await
        .expect("put");
    db.close();
    let db = store::open(&name).await.expect("reopen");
    let back = store::get_meta(&db, "k").await.expect("get");
    assert_eq!(back.and_then(|v| v.as_string()).as_deref(), Some("kept"));
    db.close();
    rexie::Rexie::delete(&name).await.expect("delete");
}
