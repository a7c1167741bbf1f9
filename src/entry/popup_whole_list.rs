//! The toolbar popup's "Read the whole list", for a list that shows more rows as it is
//! scrolled (or by its "Load more" button) and has no pager to follow: the tab's content
//! script scrolls it step by step and reads each step (`extension/discover.js`), and the
//! popup follows its progress while open. The read goes on in the tab when the popup closes.

use crate::entry::bridge_client::BridgeClient;
use crate::platform;
use crate::protocol::bridge::{
    Reply, SiteStatus, ToBackground, ToContentScript, WholeList, WholeListState,
};
use crate::protocol::evidence::MoreVia;
use gloo::events::EventListener;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlButtonElement, HtmlElement};

/// How often the popup asks the tab while a read runs.
const POLL_MS: u32 = 500;

/// The whole-list part of the popup.
pub struct WholeListView {
    boxed: HtmlElement,
    status: Element,
    start: HtmlButtonElement,
    stop: HtmlButtonElement,
    tab: f64,
    /// The site as listed, whose new-contact rate the read is let past.
    site: String,
    bridge: BridgeClient,
    /// Set when the page's reading offered it (else only a read already running is shown).
    offer: Option<MoreVia>,
}

impl WholeListView {
    /// Wires the controls of `popup.html` for tab `tab`, as `status` describes its page.
    pub fn start(
        document: &Document,
        bridge: &BridgeClient,
        tab: Option<f64>,
        status: &SiteStatus,
    ) -> Result<(), JsValue> {
        let (Some(tab), Some(site)) = (tab, status.enabled_as.clone()) else {
            return Ok(());
        };
        let get = |id: &str| {
            document
                .get_element_by_id(id)
                .ok_or_else(|| JsValue::from_str(&format!("popup.html has no #{id}")))
        };
        let view = Rc::new(Self {
            boxed: get("list-box")?.dyn_into()?,
            status: get("list-status")?,
            start: get("list-start")?.dyn_into()?,
            stop: get("list-stop")?.dyn_into()?,
            tab,
            site,
            bridge: bridge.clone(),
            offer: status
                .page
                .as_ref()
                .and_then(|page| page.more_rows)
                .map(|more| more.via),
        });
        view.on_start();
        view.on_click(&view.stop, ToContentScript::StopWholeList);
        let first = view.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = first.ask(&ToContentScript::WholeListStatus).await;
            first.show(answer);
        });
        Ok(())
    }

    /// The tab's answer; `None` when it has no content script that reads lists.
    async fn ask(&self, message: &ToContentScript) -> Option<WholeList> {
        let answer = platform::send_to_tab(self.tab, message).await.ok()?;
        serde_json::from_str(&platform::to_json(&answer)?).ok()
    }

    /// Starts the read: first the background lets this site's new contacts past the minute's
    /// rate for it (the read is the user's own), then the tab scrolls.
    fn on_start(self: &Rc<Self>) {
        let view = self.clone();
        EventListener::new(&self.start, "click", move |_| {
            let view = view.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let site = view.site.clone();
                let allowed = view
                    .bridge
                    .request(ToBackground::AllowWholeList { site })
                    .await;
                if !matches!(allowed, Ok(Reply::Done)) {
                    view.show(None);
                    return;
                }
                let answer = view.ask(&ToContentScript::ReadWholeList).await;
                view.show(answer);
            });
        })
        .forget();
    }

    fn on_click(self: &Rc<Self>, button: &HtmlButtonElement, message: ToContentScript) {
        let view = self.clone();
        EventListener::new(button, "click", move |_| {
            let (view, message) = (view.clone(), message.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = view.ask(&message).await;
                view.show(answer);
            });
        })
        .forget();
    }

    /// Shows where the read stands; while it runs, asks again shortly.
    fn show(self: &Rc<Self>, answer: Option<WholeList>) {
        let read = answer.unwrap_or_default();
        let running = read.state == WholeListState::Running;
        self.render(read);
        if running {
            let view = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                let answer = view.ask(&ToContentScript::WholeListStatus).await;
                view.show(answer);
            });
        }
    }

    fn render(&self, read: WholeList) {
        let idle = read.state == WholeListState::Idle;
        self.boxed.set_hidden(idle && self.offer.is_none());
        self.start.set_hidden(read.state == WholeListState::Running);
        self.stop.set_hidden(read.state != WholeListState::Running);
        let rows = read.rows.to_string();
        let (kind, text) = match read.state {
            WholeListState::Idle => (
                "offer",
                match self.offer {
                    Some(MoreVia::Button) => platform::message("popupListOfferButton", &[]),
                    _ => platform::message("popupListOffer", &[]),
                },
            ),
            WholeListState::Running => ("running", platform::message("popupListRunning", &[&rows])),
            WholeListState::Done => ("done", platform::message("popupListDone", &[&rows])),
            WholeListState::Capped => ("capped", platform::message("popupListCapped", &[&rows])),
            WholeListState::Stopped => {
                ("cancelled", platform::message("popupListStopped", &[&rows]))
            }
        };
        let _ = self.status.set_attribute("data-kind", kind);
        self.status.set_text_content(Some(&text));
    }
}
