//! Every message that crosses a boundary, as serde types in one place.
//!
//! - [`bridge`]: the extension's own channel between extension pages (widget host, popup,
//!   options) and the background worker.
//! - [`widget`]: the RingCentral Embeddable `postMessage` envelopes (see `docs/protocol.md`).
//! - [`registration`]: the third-party service description we register in the widget.
//! - [`evidence`]: what the content script's walker saw on a page, for discovery;
//!   [`evidence_table`]: its tables, sent compactly, and its rescans, sent as row patches.
//! - [`commands`]: what we post into the widget; [`events`]: what it tells us.

pub mod bridge;
pub mod commands;
pub mod events;
pub mod evidence;
pub mod evidence_table;
pub mod registration;
pub mod widget;
