//! Call and message logging: the journal's entries and merge rules, the outbox and its retry
//! policy, the webhook destination. Plain Rust; `store::journal` keeps it in IndexedDB and
//! `entry::delivery` sends it (see `docs/logging.md`).

pub mod destinations;
pub mod entry;
pub mod journal;
pub mod journal_import;
pub mod journal_view;
pub mod merge;
pub mod notice;
pub mod outbox;
pub mod webhook;
