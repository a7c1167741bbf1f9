//! The options page's logs section: the journal and outbox at a glance, the waiting deliveries
//! with retry and discard, and the journal to browse, search by words or date range and export
//! as CSV or JSON. Everything from logs is shown as text (notes come from users and callers).

use super::bridge_client::BridgeClient;
use super::options_ui::{download, say};
use crate::logging::entry::JournalEntry;
use crate::logging::journal_import::{read_journal_file, JournalImport, IMPORT_CHUNK};
use crate::logging::journal_view::{journal_csv, journal_json, JournalQuery, MAX_QUERY_RESULTS};
use crate::logging::outbox::{Delivery, DeliveryState};
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use crate::service::data::LogSummary;
use gloo::events::EventListener;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement};

/// Journal rows shown at once (exports take the whole range).
const ROWS_SHOWN: usize = 200;
/// After "retry", the outbox is shown again after these waits (ms).
const RETRY_REFRESH_MS: [u32; 3] = [700, 2_500, 10_000];
/// Characters of a note shown in the table (the export has it whole).
const NOTE_SHOWN: usize = 280;

/// The logs section of the options page.
pub struct LogsSection {
    document: Document,
    bridge: Rc<BridgeClient>,
}

impl LogsSection {
    /// Wires the section's controls and shows the current state.
    pub fn start(document: &Document, bridge: &Rc<BridgeClient>) -> Result<(), JsValue> {
        let section = Rc::new(Self {
            document: document.clone(),
            bridge: bridge.clone(),
        });
        section.on_click("retry-all", |s| async move {
            s.change(ToBackground::RetryDeliveries { keys: Vec::new() })
                .await
        })?;
        section.on_click("journal-find", |s| async move { s.show_journal().await })?;
        for (id, kind) in [("journal-csv", "csv"), ("journal-json", "json")] {
            section.on_click(id, move |s| async move { s.export(kind).await })?;
        }
        let import: HtmlInputElement = section.element("journal-import")?.dyn_into()?;
        let on_import = section.clone();
        EventListener::new(&import.clone(), "change", move |_| {
            let Some(file) = import.files().and_then(|files| files.get(0)) else {
                return;
            };
            import.set_value("");
            wasm_bindgen_futures::spawn_local(on_import.clone().import(file));
        })
        .forget();
        let search = section.element("journal-search")?;
        let on_enter = section.clone();
        EventListener::new(&search, "keydown", move |event| {
            let key = js_sys::Reflect::get(event, &JsValue::from_str("key"));
            let enter = key.ok().and_then(|k| k.as_string()).as_deref() == Some("Enter");
            if enter {
                let section = on_enter.clone();
                wasm_bindgen_futures::spawn_local(async move { section.show_journal().await });
            }
        })
        .forget();
        let first = section.clone();
        wasm_bindgen_futures::spawn_local(async move {
            first.show_outbox().await;
            first.show_journal().await;
        });
        Ok(())
    }

    fn element(&self, id: &str) -> Result<Element, JsValue> {
        self.document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("#{id} missing")))
    }

    fn on_click<F, Fut>(self: &Rc<Self>, id: &str, run: F) -> Result<(), JsValue>
    where
        F: Fn(Rc<Self>) -> Fut + 'static,
        Fut: std::future::Future<Output = ()> + 'static,
    {
        let button = self.element(id)?;
        let section = self.clone();
        EventListener::new(&button, "click", move |_| {
            wasm_bindgen_futures::spawn_local(run(section.clone()));
        })
        .forget();
        Ok(())
    }

    fn show_summary(&self, summary: &LogSummary) {
        let Ok(line) = self.element("log-summary") else {
            return;
        };
        let text = platform::message(
            "optionsLogSummary",
            &[
                &summary.entries.to_string(),
                &summary.waiting.to_string(),
                &summary.attention.to_string(),
            ],
        );
        say(&line, summary.attention == 0, &text);
    }

    /// Retries or discards, then shows the outbox again; after a retry, again while the
    /// deliveries are under way (a delivery takes up to the destination's timeout).
    async fn change(self: Rc<Self>, request: ToBackground) {
        let retry = matches!(request, ToBackground::RetryDeliveries { .. });
        let reply = self.bridge.request(request).await;
        if let Ok(Reply::Error { message }) = &reply {
            if let Ok(status) = self.element("outbox-status") {
                say(&status, false, message);
            }
        }
        self.show_outbox().await;
        if retry {
            for wait_ms in RETRY_REFRESH_MS {
                gloo_timers::future::TimeoutFuture::new(wait_ms).await;
                self.show_outbox().await;
            }
        }
    }

    async fn show_outbox(self: &Rc<Self>) {
        let (Ok(table), Ok(status)) = (self.element("outbox"), self.element("outbox-status"))
        else {
            return;
        };
        match self.bridge.request(ToBackground::Outbox).await {
            Ok(Reply::Outbox {
                deliveries,
                summary,
            }) => {
                self.show_summary(&summary);
                let _ = self.fill_outbox(&table, &deliveries);
                match deliveries.is_empty() {
                    true => {
                        let _ = table.set_attribute("hidden", "");
                        say(&status, true, &platform::message("optionsOutboxEmpty", &[]));
                    }
                    false => {
                        let _ = table.remove_attribute("hidden");
                        status.set_text_content(None);
                        let _ = status.remove_attribute("data-kind");
                    }
                }
            }
            Ok(Reply::Error { message }) => say(&status, false, &message),
            other => say(&status, false, &format!("{other:?}")),
        }
    }

    fn fill_outbox(
        self: &Rc<Self>,
        table: &Element,
        deliveries: &[Delivery],
    ) -> Result<(), JsValue> {
        let body = table.query_selector("tbody")?.ok_or("no tbody")?;
        body.set_text_content(None);
        for delivery in deliveries {
            let row = self.document.create_element("tr")?;
            let next = match delivery.state {
                DeliveryState::Stopped => platform::message("optionsStopped", &[]),
                _ => local_time(delivery.due),
            };
            let cells = [
                match delivery.label.is_empty() {
                    true => delivery.entry_key.clone(),
                    false => delivery.label.clone(),
                },
                delivery
                    .destination
                    .trim_start_matches("webhook:")
                    .to_owned(),
                delivery.attempts.to_string(),
                delivery.last_error.clone().unwrap_or_default(),
                next,
            ];
            for (index, text) in cells.iter().enumerate() {
                let cell = self.cell(&row, text)?;
                match index {
                    3 if delivery.needs_attention() => cell.set_class_name("error failing"),
                    3 => cell.set_class_name("error"),
                    _ => {}
                }
            }
            let actions = self.document.create_element("td")?;
            actions.set_class_name("actions-cell");
            for (label, retry) in [("optionsRetry", true), ("optionsDiscard", false)] {
                let button = self.document.create_element("button")?;
                button.set_attribute("type", "button")?;
                let text = platform::message(label, &[]);
                button.set_text_content(Some(&text));
                button.set_attribute("aria-label", &format!("{text} {}", delivery.entry_key))?;
                button.set_attribute("data-key", &delivery.key)?;
                let (section, keys) = (self.clone(), vec![delivery.key.clone()]);
                EventListener::new(&button, "click", move |_| {
                    let request = match retry {
                        true => ToBackground::RetryDeliveries { keys: keys.clone() },
                        false => ToBackground::DiscardDeliveries { keys: keys.clone() },
                    };
                    wasm_bindgen_futures::spawn_local(section.clone().change(request));
                })
                .forget();
                actions.append_child(&button)?;
            }
            row.append_child(&actions)?;
            body.append_child(&row)?;
        }
        Ok(())
    }

    fn cell(&self, row: &Element, text: &str) -> Result<Element, JsValue> {
        let cell = self.document.create_element("td")?;
        cell.set_text_content(Some(text));
        row.append_child(&cell)?;
        Ok(cell)
    }

    /// The query the search field and the date range describe.
    fn query(&self, limit: usize) -> JournalQuery {
        let value = |id: &str| {
            self.element(id)
                .ok()
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                .map(|input| input.value())
                .unwrap_or_default()
        };
        JournalQuery {
            text: value("journal-search"),
            from: day_start(&value("journal-from"), 0),
            // The "to" day is included: entries before the next day's start.
            to: day_start(&value("journal-to"), 1),
            limit,
        }
    }

    async fn find(&self, limit: usize) -> Result<Vec<JournalEntry>, String> {
        let query = self.query(limit);
        match self.bridge.request(ToBackground::Journal { query }).await {
            Ok(Reply::Journal { entries }) => Ok(entries),
            Ok(Reply::Error { message }) => Err(message),
            other => Err(format!("{other:?}")),
        }
    }

    async fn show_journal(self: Rc<Self>) {
        let (Ok(table), Ok(status)) = (self.element("journal"), self.element("journal-status"))
        else {
            return;
        };
        match self.find(ROWS_SHOWN).await {
            Ok(entries) => {
                let _ = self.fill_journal(&table, &entries);
                let count = entries.len().to_string();
                say(
                    &status,
                    true,
                    &platform::message("optionsJournalCount", &[&count]),
                );
            }
            Err(message) => say(&status, false, &message),
        }
    }

    fn fill_journal(&self, table: &Element, entries: &[JournalEntry]) -> Result<(), JsValue> {
        let body = table.query_selector("tbody")?.ok_or("no tbody")?;
        body.set_text_content(None);
        for entry in entries {
            let row = self.document.create_element("tr")?;
            row.set_attribute("data-key", &entry.key)?;
            self.cell(&row, &local_time(entry.time))?;
            let unknown = platform::message("optionsUnknownCaller", &[]);
            let who = entry.contact.name.clone().unwrap_or(unknown);
            let number = entry.number.clone().unwrap_or_default();
            let contact = self.cell(&row, &format!("{who}\n{number}"))?;
            if let Some(reason) = &entry.contact.unlinked_because {
                contact.set_class_name("unlinked");
                contact.set_attribute("title", reason)?;
            }
            self.cell(&row, &entry.subject())?;
            let note = entry.note.clone().unwrap_or_default();
            let shown: String = note.chars().take(NOTE_SHOWN).collect();
            let cell = self.cell(&row, &shown)?;
            cell.set_class_name("note");
            body.append_child(&row)?;
        }
        Ok(())
    }

    async fn export(self: Rc<Self>, kind: &'static str) {
        let Ok(status) = self.element("journal-status") else {
            return;
        };
        match self.find(MAX_QUERY_RESULTS).await {
            Ok(entries) => {
                let (text, mime) = match kind {
                    "csv" => (journal_csv(&entries), "text/csv"),
                    _ => (journal_json(&entries), "application/json"),
                };
                let name = format!("crm-bridge-journal.{kind}");
                if let Err(err) = download(&self.document, &text, mime, &name) {
                    say(&status, false, &format!("{err:?}"));
                }
            }
            Err(message) => say(&status, false, &message),
        }
    }
}

impl LogsSection {
    /// Imports an exported journal: checked whole first, then sent in chunks with progress.
    async fn import(self: Rc<Self>, file: web_sys::File) {
        let (Ok(status), Ok(progress)) = (
            self.element("journal-status"),
            self.element("journal-progress"),
        ) else {
            return;
        };
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        let text = text.ok().and_then(|t| t.as_string()).unwrap_or_default();
        let entries = match read_journal_file(&text) {
            Ok(entries) => entries,
            Err(why) => {
                let message = platform::message("optionsJournalImportRefused", &[&why]);
                return say(&status, false, &message);
            }
        };
        let total = entries.len();
        let _ = progress.set_attribute("max", &total.max(1).to_string());
        let _ = progress.set_attribute("value", "0");
        let _ = progress.remove_attribute("hidden");
        let mut done = JournalImport::default();
        let mut failure = None;
        for chunk in entries.chunks(IMPORT_CHUNK) {
            let request = ToBackground::ImportJournal {
                entries: chunk.to_vec(),
            };
            match self.bridge.request(request).await {
                Ok(Reply::JournalImported(import)) => done.add(import),
                Ok(Reply::Error { message }) => failure = Some(message),
                other => failure = Some(format!("{other:?}")),
            }
            if failure.is_some() {
                break;
            }
            let sent = done.added + done.kept;
            let _ = progress.set_attribute("value", &sent.to_string());
        }
        let _ = progress.set_attribute("hidden", "");
        let counts = [done.added.to_string(), done.kept.to_string()];
        let line = platform::message("optionsJournalImported", &[&counts[0], &counts[1]]);
        self.clone().show_journal().await;
        match failure {
            None => say(&status, true, &line),
            Some(why) => say(&status, false, &format!("{line} {why}")),
        }
    }
}

/// A date input's day (`YYYY-MM-DD`, local time) plus `add_days`, as ms since the epoch.
fn day_start(value: &str, add_days: u32) -> Option<f64> {
    if value.len() != 10 {
        return None;
    }
    let date = js_sys::Date::new(&JsValue::from_str(&format!("{value}T00:00:00")));
    let ms = date.get_time();
    if ms.is_nan() {
        return None;
    }
    date.set_date(date.get_date() + add_days);
    Some(date.get_time())
}

/// A time in the user's locale and time zone.
pub fn local_time(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}
