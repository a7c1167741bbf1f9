//! The store's census and the outbox's copy, kept in `storage.local` (`crate::store_census`):
//! counted a few seconds after requests change the store, compared when a worker starts. A
//! store that came back emptier is told in Diagnostics and the toolbar popup, and the
//! undelivered logs it lost can be downloaded from Diagnostics.

use super::background::Core;
use super::errors;
use crate::logging::outbox::Delivery;
use crate::platform;
use crate::store_census::{Census, OutboxCopy};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// `storage.local` key of the last census.
pub const CENSUS_KEY: &str = "storeCensus";
/// `storage.local` key of the outbox's copy.
pub const OUTBOX_COPY_KEY: &str = "outboxCopy";
/// `storage.local` key of the undelivered logs a lost store took with it (an [`OutboxCopy`]).
pub const LOST_LOGS_KEY: &str = "lostLogs";
/// `storage.local` key of the notice the popup shows until dismissed (a JSON string or null).
pub const STORE_NOTICE_KEY: &str = "storeNotice";
/// How long after a request the store is counted (a burst of requests is counted once).
const COUNT_AFTER_MS: u32 = 2_000;

/// Keeps the census of one worker.
#[derive(Default)]
pub struct CensusKeeper {
    /// The comparison with the last worker's census is done (counting waits for it).
    checked: Cell<bool>,
    pending: RefCell<Option<gloo_timers::callback::Timeout>>,
    /// The outbox's signature when it was last copied.
    copied: RefCell<Option<String>>,
}

impl CensusKeeper {
    /// Counts the store again soon (after the start's comparison).
    pub fn soon(self: &Rc<Self>, core: &Rc<Core>) {
        if !self.checked.get() || self.pending.borrow().is_some() {
            return;
        }
        let keeper = self.clone();
        let core = core.clone();
        let timer = gloo_timers::callback::Timeout::new(COUNT_AFTER_MS, move || {
            keeper.pending.borrow_mut().take();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(err) = keeper.count(&core).await {
                    platform::log_debug(&format!("store census: {err}"));
                }
            });
        });
        *self.pending.borrow_mut() = Some(timer);
    }

    /// At worker start: compares the store with the last census, says when it came back
    /// emptier, and counts it.
    pub async fn check(self: &Rc<Self>, core: &Rc<Core>) {
        let before: Option<Census> = read(CENSUS_KEY).await;
        let counted = census(core).await;
        if let (Some(before), Ok(now)) = (before, &counted) {
            if let Some(shrunk) = before.shrunk_to(now) {
                let lost = self.keep_lost(core).await;
                let sentence = shrunk.sentence(lost);
                errors::report(core, &sentence);
                write(
                    STORE_NOTICE_KEY,
                    &serde_json::to_string(&sentence).unwrap_or_default(),
                )
                .await;
            }
        }
        self.checked.set(true);
        // The store just counted is the census: it is not counted a second time.
        let kept = match counted {
            Ok(now) => self.keep(core, &now).await,
            Err(err) => {
                platform::log_debug(&format!("store census: {err}"));
                self.count(core).await
            }
        };
        if let Err(err) = kept {
            platform::log_debug(&format!("store census: {err}"));
        }
    }

    /// Counts the store, then keeps what it holds ([`Self::keep`]).
    async fn count(&self, core: &Rc<Core>) -> Result<(), String> {
        let now = census(core).await?;
        self.keep(core, &now).await
    }

    /// Writes `now` as the census, and the outbox's copy when the outbox changed.
    async fn keep(&self, core: &Rc<Core>, now: &Census) -> Result<(), String> {
        write(CENSUS_KEY, &serde_json::to_string(now).unwrap_or_default()).await;
        let logs = core.router().logs();
        let waiting = logs
            .deliveries_without_bodies()
            .await
            .map_err(|e| e.to_string())?;
        let signature = OutboxCopy::signature(&waiting);
        if self.copied.borrow().as_deref() == Some(signature.as_str()) {
            return Ok(());
        }
        let whole = if waiting.is_empty() {
            Vec::new()
        } else {
            logs.deliveries().await.map_err(|e| e.to_string())?
        };
        let copy = OutboxCopy::of(whole);
        write(
            OUTBOX_COPY_KEY,
            &serde_json::to_string(&copy).unwrap_or_default(),
        )
        .await;
        *self.copied.borrow_mut() = Some(signature);
        Ok(())
    }

    /// Moves the copied deliveries the outbox lost into the lost logs (added to any kept
    /// before); answers how many are kept there.
    async fn keep_lost(&self, core: &Rc<Core>) -> usize {
        let copy: OutboxCopy = read(OUTBOX_COPY_KEY).await.unwrap_or_default();
        let outbox: Vec<Delivery> = core
            .router()
            .logs()
            .deliveries_without_bodies()
            .await
            .unwrap_or_default();
        let mut lost: OutboxCopy = read(LOST_LOGS_KEY).await.unwrap_or_default();
        for delivery in copy.missing_from(&outbox) {
            if !lost
                .deliveries
                .iter()
                .any(|d| d.key == delivery.key && d.revision == delivery.revision)
            {
                lost.deliveries.push(delivery);
            }
        }
        lost.left_out += copy.left_out;
        let lost = OutboxCopy {
            left_out: lost.left_out,
            ..OutboxCopy::of(lost.deliveries)
        };
        write(
            LOST_LOGS_KEY,
            &serde_json::to_string(&lost).unwrap_or_default(),
        )
        .await;
        lost.deliveries.len()
    }
}

/// What the store holds now.
async fn census(core: &Core) -> Result<Census, String> {
    let contacts = core
        .router()
        .contacts()
        .live_count()
        .await
        .map_err(|e| e.to_string())?;
    let (logs, waiting) = core
        .router()
        .logs()
        .census_counts()
        .await
        .map_err(|e| e.to_string())?;
    Ok(Census {
        contacts,
        logs,
        waiting,
        at_ms: js_sys::Date::now(),
    })
}

async fn read<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    let text = platform::storage_local_get(key).await.ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Writes a `storage.local` value; a failure (the disk is full too) only loses the census.
async fn write(key: &str, json: &str) {
    if let Err(err) = platform::storage_local_set(key, json).await {
        platform::log_debug(&format!("cannot keep {key}: {err:?}"));
    }
}
