//! crm-bridge: the RingCentral Embeddable phone inside any CRM page, with a Rust brain.
//!
//! The crate has two halves. The **core** (every module below without a `cfg`) is plain Rust:
//! message types, routing, settings, site rules. It never touches a browser API, so it is
//! tested natively with `cargo test`. The **edges** (`platform`, `store`, `entry`) exist only on
//! `wasm32`; they bind the core to `chrome.*`/`browser.*`, the DOM and IndexedDB and stay thin.

pub mod background;
pub mod bulk_import;
pub mod contacts;
pub mod diagnostics;
pub mod logging;
pub mod manifest_rules;
pub mod network_address;
pub mod phone;
pub mod protocol;
pub mod service;
pub mod settings;
pub mod sites;
pub mod storage_fault;
pub mod store_census;
pub mod url;

#[doc(hidden)]
pub mod test_support;

// The `entries` feature (default) exports the extension's entry points; the discovery module
// links this crate without them.
#[cfg(all(target_arch = "wasm32", feature = "entries"))]
mod entry;
#[cfg(target_arch = "wasm32")]
pub mod platform;
#[cfg(target_arch = "wasm32")]
pub mod store;

/// The crate version, shown in diagnostics and checked by the widget host against the worker.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The IndexedDB layout this build opens; each bump comes with a migration and a fixture of
/// the previous version (see `store`). Here so the core can report it.
pub const DATABASE_VERSION: u32 = 3;
