//! The store in a service worker: where Chrome's MV3 background runs (no `window` there).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_service_worker);

#[path = "common/store_cases.rs"]
mod store_cases;

#[wasm_bindgen_test::wasm_bindgen_test]
fn runs_without_a_window() {
    assert!(web_sys::window().is_none(), "expected a worker global");
}

#[path = "common/contact_store_cases.rs"]
mod contact_store_cases;

#[path = "common/journal_cases.rs"]
mod journal_cases;

#[path = "common/import_stream_cases.rs"]
mod import_stream_cases;
