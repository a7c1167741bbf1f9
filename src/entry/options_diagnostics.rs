//! The options page's diagnostics section: versions, the background's recent errors (with a
//! way to clear them) and a report to send to support, so a user can say what went wrong
//! without the browser's developer tools.

use super::bridge_client::BridgeClient;
use super::census::LOST_LOGS_KEY;
use super::options_logs::local_time;
use super::options_ui::{download, say};
use crate::contacts::explain::no_near_numbers;
use crate::diagnostics::{support_report, About};
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use crate::settings::Settings;
use crate::store_census::OutboxCopy;
use gloo::events::EventListener;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// The diagnostics section of the options page.
pub struct DiagnosticsSection {
    document: Document,
    bridge: Rc<BridgeClient>,
}

impl DiagnosticsSection {
    /// Wires the section's buttons and shows the current state.
    pub fn start(document: &Document, bridge: &Rc<BridgeClient>) -> Result<(), JsValue> {
        let section = Rc::new(Self {
            document: document.clone(),
            bridge: bridge.clone(),
        });
        for (id, request) in [
            ("errors-refresh", ToBackground::About),
            ("errors-clear", ToBackground::ClearErrors),
        ] {
            let button = section.element(id)?;
            let on_click = section.clone();
            EventListener::new(&button, "click", move |_| {
                let (section, request) = (on_click.clone(), request.clone());
                wasm_bindgen_futures::spawn_local(async move { section.show(request).await });
            })
            .forget();
        }
        let explain = section.element("explain-go")?;
        let on_explain = section.clone();
        EventListener::new(&explain, "click", move |_| {
            wasm_bindgen_futures::spawn_local(on_explain.clone().explain());
        })
        .forget();
        let button = section.element("about-report")?;
        let on_click = section.clone();
        EventListener::new(&button, "click", move |_| {
            wasm_bindgen_futures::spawn_local(on_click.clone().save_report());
        })
        .forget();
        let first = section.clone();
        wasm_bindgen_futures::spawn_local(async move { first.show(ToBackground::About).await });
        let lost = section.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(err) = lost.offer_lost_logs().await {
                platform::log_error(&format!("undelivered logs: {err:?}"));
            }
        });
        Ok(())
    }

    /// The undelivered logs a lost store took with it (kept outside it, `census`): shown
    /// with a download only when there are some.
    async fn offer_lost_logs(self: Rc<Self>) -> Result<(), JsValue> {
        let kept = platform::storage_local_get(LOST_LOGS_KEY).await?;
        let lost: OutboxCopy = kept
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        if lost.deliveries.is_empty() {
            return Ok(());
        }
        let count = lost.deliveries.len().to_string();
        self.element("lost-logs-text")?
            .set_text_content(Some(&platform::message("optionsLostLogs", &[&count])));
        self.element("lost-logs")?.remove_attribute("hidden")?;
        let text = serde_json::to_string_pretty(&lost.deliveries).unwrap_or_default();
        let document = self.document.clone();
        let button = self.element("lost-logs-download")?;
        EventListener::new(&button, "click", move |_| {
            let name = "crm-bridge-undelivered-logs.json";
            if let Err(err) = download(&document, &text, "application/json", name) {
                platform::log_error(&format!("cannot save the undelivered logs: {err:?}"));
            }
        })
        .forget();
        Ok(())
    }

    fn element(&self, id: &str) -> Result<Element, JsValue> {
        self.document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("#{id} missing")))
    }

    async fn about(&self, request: ToBackground) -> Result<About, String> {
        match self.bridge.request(request).await {
            Ok(Reply::About(about)) => Ok(about),
            Ok(Reply::Error { message }) => Err(message),
            other => Err(format!("{other:?}")),
        }
    }

    async fn settings(&self) -> Result<Settings, String> {
        match self.bridge.request(ToBackground::GetSettings).await {
            Ok(Reply::Settings { settings }) => {
                Settings::from_json(&settings.to_string()).map_err(|err| err.to_string())
            }
            Ok(Reply::Error { message }) => Err(message),
            other => Err(format!("{other:?}")),
        }
    }

    async fn show(self: Rc<Self>, request: ToBackground) {
        let Ok(status) = self.element("errors-status") else {
            return;
        };
        let about = match self.about(request).await {
            Ok(about) => about,
            Err(message) => return say(&status, false, &message),
        };
        let widget = self
            .settings()
            .await
            .map(|settings| settings.widget.app_url)
            .unwrap_or_else(|message| message);
        let worker = platform::message(
            "optionsAboutWorkerLine",
            &[
                &about.worker.requests_handled.to_string(),
                &format!(
                    "{:.0}",
                    about.worker.wasm_ready_ms - about.worker.script_start_ms
                ),
            ],
        );
        let layout = platform::message(
            "optionsAboutLayoutLine",
            &[
                &about.settings_schema.to_string(),
                &about.database_version.to_string(),
            ],
        );
        for (id, text) in [
            ("about-version", about.version.as_str()),
            ("about-browser", &browser()),
            ("about-widget", &widget),
            ("about-layout", &layout),
            ("about-worker", &worker),
        ] {
            if let Ok(cell) = self.element(id) {
                cell.set_text_content(Some(text));
            }
        }
        if let Err(err) = self.fill_errors(&about) {
            return say(&status, false, &format!("{err:?}"));
        }
        let line = match about.errors.is_empty() {
            true => platform::message("optionsErrorsNone", &[]),
            false => platform::message("optionsErrorsCount", &[&about.errors.len().to_string()]),
        };
        say(&status, about.errors.is_empty(), &line);
    }

    fn fill_errors(&self, about: &About) -> Result<(), JsValue> {
        let table = self.element("errors")?;
        let body = table.query_selector("tbody")?.ok_or("no tbody")?;
        body.set_text_content(None);
        for error in &about.errors {
            let row = self.document.create_element("tr")?;
            for text in [
                local_time(error.last),
                error.message.clone(),
                error.count.to_string(),
            ] {
                let cell = self.document.create_element("td")?;
                cell.set_text_content(Some(&text)); // errors may quote page text: never markup
                row.append_child(&cell)?;
            }
            body.append_child(&row)?;
        }
        match about.errors.is_empty() {
            true => table.set_attribute("hidden", ""),
            false => table.remove_attribute("hidden"),
        }
    }

    /// "Why did a number not match?": how the number is read and the stored numbers on its
    /// national digits, each matched or not with the reason.
    async fn explain(self: Rc<Self>) {
        let (Ok(input), Ok(reading), Ok(list)) = (
            self.element("explain-number"),
            self.element("explain-reading"),
            self.element("explain-near"),
        ) else {
            return;
        };
        let number = input
            .dyn_into::<web_sys::HtmlInputElement>()
            .map(|input| input.value())
            .unwrap_or_default();
        list.set_text_content(None);
        let answer = match self
            .bridge
            .request(ToBackground::ExplainNumber { number })
            .await
        {
            Ok(Reply::NumberExplained(answer)) => answer,
            Ok(Reply::Error { message }) => return say(&reading, false, &message),
            other => return say(&reading, false, &format!("{other:?}")),
        };
        let line = match &answer.reading {
            Some(read) => {
                let country = read.country.as_deref().map(|c| format!("+{c}"));
                let none = platform::message("optionsExplainNone", &[]);
                platform::message(
                    "optionsExplainReading",
                    &[
                        country.as_deref().unwrap_or(&none),
                        &read.national,
                        read.extension.as_deref().unwrap_or(&none),
                    ],
                )
            }
            None => no_near_numbers(&None),
        };
        let mut text = line;
        if answer.own_number {
            text = format!("{text} {}", platform::message("optionsExplainOwn", &[]));
        }
        if answer.reading.is_some() && answer.near.is_empty() {
            text = format!("{text} {}", no_near_numbers(&answer.reading));
        }
        say(&reading, answer.near.iter().any(|n| n.matched), &text);
        for near in &answer.near {
            let Ok(item) = self.document.create_element("li") else {
                return;
            };
            let _ = item.set_attribute("data-matched", if near.matched { "true" } else { "false" });
            let site = near.site.as_deref().unwrap_or_default();
            // Names and numbers come from pages: text only.
            item.set_text_content(Some(&format!(
                "{} ({site}) — {}: {}",
                near.name, near.number, near.why
            )));
            let _ = list.append_child(&item);
        }
    }

    async fn save_report(self: Rc<Self>) {
        let Ok(status) = self.element("errors-status") else {
            return;
        };
        let (about, settings) = match (self.about(ToBackground::About).await, self.settings().await)
        {
            (Ok(about), Ok(settings)) => (about, settings),
            (Err(message), _) | (_, Err(message)) => return say(&status, false, &message),
        };
        let report = support_report(&about, &settings, &browser(), js_sys::Date::now());
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        match download(
            &self.document,
            &text,
            "application/json",
            "crm-bridge-report.json",
        ) {
            Ok(()) => say(
                &status,
                true,
                &platform::message("optionsAboutReportSaved", &[]),
            ),
            Err(err) => say(&status, false, &format!("{err:?}")),
        }
    }
}

/// The browser as it names itself.
fn browser() -> String {
    web_sys::window()
        .and_then(|window| window.navigator().user_agent().ok())
        .unwrap_or_default()
}
