//! The third-party service we offer inside the widget: which paths we register, what each
//! request body means, and one router from path to handler.
//!
//! Handlers get their data through the traits in [`data`], so the same router runs natively
//! over in-memory fakes ([`memory`]) in tests and over IndexedDB and discovery in the extension.

pub mod data;
pub mod description;
pub mod lifecycle;
pub mod memory;
pub mod paths;
pub mod requests;
pub mod router;
pub mod write_gate;

pub use router::{Answer, Effect, ServiceRouter};
