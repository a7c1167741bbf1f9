//! The background's recent errors: each goes to the console and into the list the options
//! page's diagnostics section shows, kept in `storage.local` so a worker stop loses none.

use super::background::Core;
use crate::diagnostics::RecentErrors;
use crate::platform;

/// `storage.local` key of the recent errors.
pub const ERRORS_KEY: &str = "recentErrors";

/// Logs `message` and keeps it for the diagnostics section.
pub fn report(core: &Core, message: &str) {
    platform::log_error(message);
    record(core, message);
}

/// Keeps `message` for the diagnostics section without a console error: for what is
/// refused by design (a content script left in a tab of a site switched off meanwhile).
pub fn note(core: &Core, message: &str) {
    platform::log_debug(message);
    record(core, message);
}

/// Puts the store failures of the last request into Diagnostics (the widget got their words in
/// its answer; this keeps them for the user who looks later).
pub fn report_store_faults(core: &Core) {
    for fault in crate::store::take_unreported_faults() {
        report(core, &fault);
    }
}

fn record(core: &Core, message: &str) {
    if let Some(text) = core.record_error(message, js_sys::Date::now()) {
        keep(text);
    }
}

/// Reads what earlier workers kept (at worker start), then keeps the merged list.
pub async fn restore(core: &Core) {
    let older = match platform::storage_local_get(ERRORS_KEY).await {
        Ok(Some(text)) => RecentErrors::from_json(&text),
        Ok(None) => RecentErrors::default(),
        Err(err) => {
            platform::log_error(&format!("cannot read the recent errors: {err:?}"));
            RecentErrors::default()
        }
    };
    let text = core.restore_errors(older);
    if text != "[]" {
        keep(text);
    }
}

/// Writes the list in the background (a failed write only loses diagnostics).
pub fn keep(text: String) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(err) = platform::storage_local_set(ERRORS_KEY, &text).await {
            platform::log_error(&format!("cannot keep the recent errors: {err:?}"));
        }
    });
}
