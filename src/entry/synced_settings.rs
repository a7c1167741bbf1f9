//! The user-level part of the settings in `storage.sync` (see `settings::synced`): written
//! after each settings change that touches it, and taken over when another browser of the
//! user changed it. `storage.local` keeps the complete settings every context reads.

use super::background::Core;
use super::errors;
use super::stored_settings::{load_settings, SETTINGS_KEY};
use crate::platform;
use crate::settings::Settings;
use serde_json::Value;
use std::cell::{Cell, RefCell};

thread_local! {
    /// This worker's writes to `storage.sync` still under way.
    static WRITING: Cell<u32> = const { Cell::new(0) };
    /// The synced part this worker last wrote (its own change event brings it back).
    static LAST_WRITTEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Writes the synced part of `after` when it differs from `before`'s (in the background: a
/// failed write, e.g. over the sync quota, loses nothing here and is reported).
pub fn keep(core: &std::rc::Rc<Core>, before: &Value, after: &Settings) {
    let synced = after.synced();
    if &synced == before {
        return;
    }
    let core = core.clone();
    let text = synced.to_string();
    LAST_WRITTEN.with(|last| *last.borrow_mut() = Some(text.clone()));
    WRITING.with(|writing| writing.set(writing.get() + 1));
    wasm_bindgen_futures::spawn_local(async move {
        let written = platform::storage_sync_set(SETTINGS_KEY, &text).await;
        WRITING.with(|writing| writing.set(writing.get().saturating_sub(1)));
        if let Err(err) = written {
            errors::report(
                &core,
                &format!("settings not copied to your other browsers: {err:?}"),
            );
        }
    });
}

/// `storage.onChanged` in the sync area: takes over what another browser of the user stored,
/// unless it is invalid or from a newer crm-bridge (then this browser keeps its settings).
///
/// In the settings turn, so no save of this browser (options page, popup, the phone's
/// toggles) begins while the local settings are read, merged and written back here; a read of
/// the settings applied meanwhile (a new port) makes it merge again from what is stored.
pub async fn take_over(core: &Core) {
    let _turn = core.settings_turn().await;
    // While this worker's own write is under way, what the sync area holds may be older than
    // this browser's settings: its change event, which follows, is the one to look at.
    if WRITING.with(Cell::get) > 0 {
        return;
    }
    let Ok(Some(text)) = platform::storage_sync_get(SETTINGS_KEY).await else {
        return;
    };
    if LAST_WRITTEN.with(|last| last.borrow().as_deref() == Some(text.as_str())) {
        return; // this worker's own write coming back: the local settings have it already
    }
    for _ in 0..5 {
        let generation = core.settings_generation();
        let (here, problem) = load_settings().await;
        if problem.is_some() {
            return; // unreadable or newer settings here are not overwritten from elsewhere
        }
        let merged = match here.with_synced(&text) {
            Ok(merged) => merged,
            Err(err) => {
                let message = format!("settings from your other browsers ignored: {err}");
                return errors::report(core, &message);
            }
        };
        if merged == here {
            return;
        }
        if core.settings_generation() != generation {
            continue; // settings were applied meanwhile: merge into what is stored now
        }
        core.settings_write_started();
        let stored = serde_json::to_string(&merged).unwrap_or_default();
        if let Err(err) = platform::storage_local_set(SETTINGS_KEY, &stored).await {
            return errors::report(core, &format!("settings not saved: {err:?}"));
        }
        // Applied unless a save that began after this write is newer still.
        core.set_loaded_settings(generation + 1, merged);
        return;
    }
    errors::report(
        core,
        "settings from your other browsers not taken over: this browser's settings kept changing",
    );
}

/// The settings a new install starts from when the user's other browsers stored some.
pub async fn from_other_browsers() -> Option<Settings> {
    let text = platform::storage_sync_get(SETTINGS_KEY).await.ok()??;
    Settings::default().with_synced(&text).ok()
}
