//! Every message that crosses a boundary, as serde types in one place.
//!
//! - [`bridge`]: the extension's own channel between extension pages (widget host, popup,
//!   options) and the background worker.
//! - [`widget`]: the RingCentral Embeddable `postMessage` envelopes (see `../shared/protocol.md`).
//! - [`registration`]: the third-party service description we register in the widget.
//! - [`evidence`]: what the content script's walker saw on a page, for discovery.
//! - [`commands`]: what we post into the widget; [`events`]: what it tells us.

pub mod bridge;
pub mod commands;
pub mod events;
pub mod evidence;
pub mod registration;
pub mod widget;
