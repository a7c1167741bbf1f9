//! Every message that crosses a boundary, as serde types in one place.
//!
//! - [`bridge`]: the extension's own channel between extension pages (widget host, popup,
//!   options) and the background worker.
//! - [`widget`]: the RingCentral Embeddable `postMessage` protocol (see `../shared/protocol.md`).

pub mod bridge;
pub mod widget;
