//! The store in a page: where Firefox's MV3 background (an event page) runs.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/store_cases.rs"]
mod store_cases;

#[path = "common/contact_store_cases.rs"]
mod contact_store_cases;

#[path = "common/journal_cases.rs"]
mod journal_cases;

#[path = "common/import_stream_cases.rs"]
mod import_stream_cases;
