//! The toolbar popup's bulk import: "Import all contacts from this list" on a page that is one
//! page of a longer list, then its progress (polled while the popup is open), stop and resume.
//! The import itself runs in the background and goes on when the popup closes.

use super::bridge_client::BridgeClient;
use crate::bulk_import::{ImportProgress, ImportState};
use crate::platform;
use crate::protocol::bridge::{Reply, SiteStatus, ToBackground};
use gloo::events::EventListener;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlButtonElement, HtmlElement};

/// How often the popup asks for progress while an import runs.
const POLL_MS: u32 = 700;

/// The import part of the popup.
pub struct ImportView {
    boxed: HtmlElement,
    status: Element,
    bar: HtmlElement,
    start: HtmlButtonElement,
    cancel: HtmlButtonElement,
    resume: HtmlButtonElement,
    bridge: BridgeClient,
    /// The enabled site of the popup's page.
    site: Option<String>,
    /// What this page can import.
    offer: Offer,
}

/// What the popup's page can import.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Offer {
    /// Nothing: a page that does not continue on further pages.
    Nothing,
    /// The list this page is part of, page by page (with its length, when it says).
    Pages(Option<u32>),
    /// The site's JSON API (its recipe names one), from any of its pages.
    Api,
}

impl Offer {
    fn of(status: &SiteStatus) -> Self {
        if status.api_import {
            return Offer::Api;
        }
        match status.page.as_ref().filter(|p| p.next_page.is_some()) {
            Some(reading) => Offer::Pages(reading.last_page),
            None => Offer::Nothing,
        }
    }
}

impl ImportView {
    /// Wires the import controls of `popup.html` for the page at `url`, as `status` describes it.
    pub fn start(
        document: &Document,
        bridge: &BridgeClient,
        url: &str,
        status: &SiteStatus,
    ) -> Result<Rc<Self>, JsValue> {
        let get = |id: &str| {
            document
                .get_element_by_id(id)
                .ok_or_else(|| JsValue::from_str(&format!("popup.html has no #{id}")))
        };
        let view = Rc::new(Self {
            boxed: get("import-box")?.dyn_into()?,
            status: get("import-status")?,
            bar: get("import-progress")?.dyn_into()?,
            start: get("import-start")?.dyn_into()?,
            cancel: get("import-cancel")?.dyn_into()?,
            resume: get("import-resume")?.dyn_into()?,
            bridge: bridge.clone(),
            site: status.enabled_as.clone(),
            offer: Offer::of(status),
        });
        let api = view.offer == Offer::Api;
        if api {
            view.start
                .set_text_content(Some(&platform::message("popupImportStartApi", &[])));
        }
        let url = url.to_owned();
        view.on_click(&view.start, move || ToBackground::StartImport {
            url: url.clone(),
            api,
        });
        view.on_click(&view.cancel, || ToBackground::CancelImport);
        view.on_click(&view.resume, || ToBackground::ResumeImport);
        let first = view.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = first.bridge.request(ToBackground::ImportStatus).await;
            first.show(answer);
        });
        Ok(view)
    }

    /// A button that sends `request` and shows the answer (and follows a running import).
    fn on_click(
        self: &Rc<Self>,
        button: &HtmlButtonElement,
        request: impl Fn() -> ToBackground + 'static,
    ) {
        let view = self.clone();
        EventListener::new(button, "click", move |_| {
            let (view, request) = (view.clone(), request());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = view.bridge.request(request).await;
                view.show(answer);
            });
        })
        .forget();
    }

    /// Shows an answer; while the import runs, asks again shortly.
    fn show(self: &Rc<Self>, answer: Result<Reply, JsValue>) {
        let import = match answer {
            Ok(Reply::Import { import }) => import,
            Ok(Reply::Error { message }) => {
                self.boxed.set_hidden(false);
                self.set_status("error", &platform::message("popupError", &[&message]));
                return;
            }
            _ => return,
        };
        // An import of another site's list is that site's business.
        let site = self.site.as_deref();
        let import = import.filter(|import| site == Some(import.summary.site.as_str()));
        let running = import
            .as_ref()
            .is_some_and(|i| i.summary.state == ImportState::Running);
        self.render(import.as_ref());
        if running {
            let view = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                let answer = view.bridge.request(ToBackground::ImportStatus).await;
                view.show(answer);
            });
        }
    }

    fn render(&self, import: Option<&ImportProgress>) {
        let on_site = self.site.is_some();
        let nothing = self.offer == Offer::Nothing;
        let state = import.map(|i| &i.summary.state);
        self.boxed
            .set_hidden(!on_site || (import.is_none() && nothing));
        self.start.set_hidden(
            nothing
                || matches!(
                    state,
                    Some(ImportState::Running | ImportState::Failed { .. })
                ),
        );
        self.cancel
            .set_hidden(!matches!(state, Some(ImportState::Running)));
        self.resume
            .set_hidden(!matches!(state, Some(ImportState::Failed { .. })));
        let Some(import) = import else {
            let text = match self.offer {
                Offer::Api => platform::message("popupImportOfferApi", &[]),
                Offer::Pages(Some(pages)) => {
                    platform::message("popupImportOfferPages", &[&pages.to_string()])
                }
                Offer::Pages(None) | Offer::Nothing => platform::message("popupImportOffer", &[]),
            };
            self.bar.set_hidden(true);
            return self.set_status("offer", &text);
        };
        let (found, added, pages) = (
            import.summary.found.to_string(),
            import.summary.added.to_string(),
            import.summary.pages_read.to_string(),
        );
        let (kind, text) = match &import.summary.state {
            ImportState::Running => {
                let page = (import
                    .summary
                    .page_number
                    .unwrap_or(import.summary.pages_read)
                    + 1)
                .to_string();
                let text = match import.summary.last_page {
                    Some(last) => platform::message(
                        "popupImportRunning",
                        &[&page, &last.to_string(), &found, &added],
                    ),
                    None => platform::message("popupImportRunningOpen", &[&page, &found, &added]),
                };
                ("running", text)
            }
            ImportState::Done => (
                "done",
                platform::message("popupImportDone", &[&found, &pages, &added]),
            ),
            ImportState::Cancelled => (
                "cancelled",
                platform::message("popupImportCancelled", &[&pages, &found]),
            ),
            ImportState::Failed { reason } => {
                ("error", platform::message("popupImportFailed", &[reason]))
            }
        };
        self.set_status(kind, &text);
        self.bar
            .set_hidden(!matches!(import.summary.state, ImportState::Running));
        // Indeterminate (no value) until the list tells its length.
        match import.fraction_done {
            Some(done) => {
                let _ = self.bar.set_attribute("value", &format!("{done:.3}"));
            }
            None => {
                let _ = self.bar.remove_attribute("value");
            }
        }
    }

    fn set_status(&self, kind: &str, text: &str) {
        let _ = self.status.set_attribute("data-kind", kind);
        self.status.set_text_content(Some(text));
    }
}
