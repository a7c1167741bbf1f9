//! Bulk import: "Import all contacts from this list" (toolbar popup).
//!
//! The background reads a list page after page as the list's own pager leads (the site
//! recipe's `next`, `rel=next`, or a link that says "next"), each page fetched from the site's
//! origin and parsed off-screen (Chrome: an offscreen document; Firefox: the event page), read
//! by the same walker and discovery as a page the user opens, at a gentle pace. The job is kept
//! in `storage.local` after each page, so it carries on after a worker stop or a browser
//! restart; contacts are stored by id, so a page read twice adds nothing twice.

pub mod api;
pub mod job;
pub mod pagination;

pub use job::{
    FetchError, ImportJob, ImportProgress, ImportState, ImportSummary, PageOutcome, PageRead,
};
