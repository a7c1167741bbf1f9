//! Sends the outbox: due deliveries go out a few at a time, each verdict is written back
//! before the next round, and the next retry is left to `chrome.alarms` (which wakes a stopped
//! worker) plus a timer while the worker lives. The toolbar badge counts deliveries that need
//! the user (failing for a while, or refused).

use super::background::Core;
use super::stored_settings::load_settings;
use crate::logging::destinations::{sendable_target, Target};
use crate::logging::notice::DeliveryNotice;
use crate::logging::outbox::{
    next_due, AttemptResult, Delivery, PARALLEL_DELIVERIES, REQUEST_TIMEOUT_MS,
};
use crate::logging::webhook::delivery_headers;
use crate::platform;
use crate::protocol::commands::WidgetCommand;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

/// The alarm that wakes the worker for the next retry.
pub const OUTBOX_ALARM: &str = "crm-bridge-outbox";
/// Retries due sooner than this are also timed inside the worker (alarms may be coarser).
const TIMER_HORIZON_MS: f64 = 60_000.0;

/// Posts one command into every open phone.
type PostToPhones = Box<dyn Fn(serde_json::Value)>;

/// One sender per worker: up to [`PARALLEL_DELIVERIES`] deliveries in flight, each slot
/// refilled as soon as its delivery is settled (a destination that hangs holds one slot, not a
/// whole round). A kick while the courier is filling slots makes it look again.
#[derive(Default)]
pub struct Courier {
    filling: Cell<bool>,
    again: Cell<bool>,
    settings_loaded: Cell<bool>,
    in_flight: RefCell<BTreeSet<String>>,
    notice: RefCell<DeliveryNotice>,
    /// Posts a command into every open phone (the delivery banner).
    post: RefCell<Option<PostToPhones>>,
}

impl Courier {
    /// Where the delivery banner goes: every open phone.
    pub fn on_banner(&self, post: impl Fn(serde_json::Value) + 'static) {
        *self.post.borrow_mut() = Some(Box::new(post));
    }

    /// Sends whatever is due now; when nothing is in flight any more, schedules the next look.
    pub fn kick(self: &Rc<Self>, core: &Rc<Core>) {
        if self.filling.replace(true) {
            self.again.set(true);
            return;
        }
        let (courier, core) = (self.clone(), core.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if !courier.settings_loaded.replace(true) {
                // Woken by an alarm, the worker may not have read the settings yet.
                let generation = core.settings_generation();
                let (settings, _) = load_settings().await;
                core.set_loaded_settings(generation, settings);
            }
            loop {
                courier.again.set(false);
                if let Err(err) = courier.fill(&core).await {
                    super::errors::report(&core, &format!("log delivery: {err}"));
                }
                if !courier.again.get() {
                    break;
                }
            }
            courier.filling.set(false);
            if courier.in_flight.borrow().is_empty() {
                if let Err(err) = courier.schedule(&core).await {
                    super::errors::report(&core, &format!("log delivery schedule: {err}"));
                }
            }
        });
    }

    /// Starts due deliveries in the free slots.
    async fn fill(self: &Rc<Self>, core: &Rc<Core>) -> Result<(), String> {
        let free = PARALLEL_DELIVERIES.saturating_sub(self.in_flight.borrow().len());
        if free == 0 {
            return Ok(());
        }
        let look = (PARALLEL_DELIVERIES * 2) as u32;
        let due = core
            .router()
            .logs()
            .due_deliveries(js_sys::Date::now(), look)
            .await
            .map_err(|e| e.0)?;
        let fresh: Vec<Delivery> = due
            .into_iter()
            .filter(|d| !self.in_flight.borrow().contains(&d.key))
            .take(free)
            .collect();
        for delivery in fresh {
            self.in_flight.borrow_mut().insert(delivery.key.clone());
            let (courier, core) = (self.clone(), core.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = attempt(&delivery, &core.settings()).await;
                let verdict = delivery.after_attempt(&result, js_sys::Date::now());
                if let Err(err) = core.router().logs().settle(&delivery, verdict).await {
                    super::errors::report(&core, &format!("log delivery: {err}"));
                }
                courier.in_flight.borrow_mut().remove(&delivery.key);
                courier.kick(&core);
            });
        }
        Ok(())
    }

    /// Sets the alarm (and a timer) for the next due delivery, and the badge.
    async fn schedule(self: &Rc<Self>, core: &Rc<Core>) -> Result<(), String> {
        let waiting = core
            .router()
            .logs()
            .deliveries_without_bodies()
            .await
            .map_err(|e| e.0)?;
        show_badge(&waiting).await;
        if let Some(banner) = self.notice.borrow_mut().update(&waiting) {
            if let Some(post) = self.post.borrow().as_ref() {
                post(WidgetCommand::UpdateBanner { banner }.to_message());
            }
        }
        let now = js_sys::Date::now();
        let Some(due) = next_due(&waiting) else {
            let _ = platform::call_async(&["alarms", "clear"], &[OUTBOX_ALARM.into()]).await;
            return Ok(());
        };
        let when = due.max(now + 1_000.0);
        let info = platform::from_json(&json!({ "when": when }).to_string())
            .map_err(|e| format!("{e:?}"))?;
        platform::call_async(&["alarms", "create"], &[OUTBOX_ALARM.into(), info])
            .await
            .map_err(|e| format!("{e:?}"))?;
        if when - now < TIMER_HORIZON_MS {
            let (courier, core) = (self.clone(), core.clone());
            gloo::timers::callback::Timeout::new((when - now) as u32, move || courier.kick(&core))
                .forget();
        }
        Ok(())
    }
}

/// One POST of one delivery to its destination as configured now.
async fn attempt(delivery: &Delivery, settings: &crate::settings::Settings) -> AttemptResult {
    let (url, headers, with_session) =
        match sendable_target(&settings.site_options, &delivery.destination) {
            Ok(Target::Webhook(webhook)) => {
                let headers =
                    webhook.headers(&delivery.body, &delivery.idempotency_key, &delivery.event);
                (webhook.url, headers, false)
            }
            // The CRM knows the user by their session; the body and idempotency key are the same.
            Ok(Target::Crm { url }) => {
                let headers = delivery_headers(&delivery.idempotency_key, &delivery.event);
                (url, headers, true)
            }
            Err(why) => return AttemptResult::Unsendable(why),
        };
    match platform::post(
        &url,
        &headers,
        &delivery.body,
        REQUEST_TIMEOUT_MS,
        with_session,
    )
    .await
    {
        Ok(status) => AttemptResult::Status(status),
        Err(reason) => AttemptResult::NoAnswer(reason),
    }
}

/// The toolbar badge: how many deliveries need the user (empty when none).
async fn show_badge(waiting: &[Delivery]) {
    let attention = waiting.iter().filter(|d| d.needs_attention()).count();
    let text = match attention {
        0 => String::new(),
        n if n > 99 => "99+".into(),
        n => n.to_string(),
    };
    let title = match attention {
        0 => platform::message("actionTitle", &[]),
        n => platform::message("badgeUndelivered", &[&n.to_string()]),
    };
    for (method, value) in [
        ("setBadgeText", json!({ "text": text })),
        ("setBadgeBackgroundColor", json!({ "color": "#b3261e" })),
        ("setTitle", json!({ "title": title })),
    ] {
        if let Ok(details) = platform::from_json(&value.to_string()) {
            let _ = platform::call_async(&["action", method], &[details]).await;
        }
    }
}
