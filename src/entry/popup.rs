//! Toolbar popup entry (`popup.html`): the current site and one switch.
//!
//! Switching on asks the browser for that one site's permission inside the click handler (the
//! browser shows its prompt only for a user gesture), then asks the background to enable the
//! site, which registers the content script and injects it into the site's open tabs.

use super::bridge_client::BridgeClient;
use super::i18n::localize;
use super::popup_import::ImportView;
use crate::platform;
use crate::protocol::bridge::{
    PageReading, PhoneLogin, Reply, SiteStatus, ToBackground, ToContentScript,
};
use crate::protocol::evidence::LeftOut;
use crate::settings::limits::HeldBack;
use crate::sites::SitePattern;
use gloo::events::EventListener;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

/// Starts the popup in the current page.
#[wasm_bindgen]
pub async fn start_popup() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    localize(&document)?;
    super::popup_store_notice::show_store_notice(&document).await?;
    let view = Rc::new(PopupView::new(&document)?);
    let target = target_tab(&window).await;
    let window_id = target
        .as_ref()
        .and_then(|tab| platform::number_field(tab, "windowId"));
    let tab_id = target
        .as_ref()
        .and_then(|tab| platform::number_field(tab, "id"));
    let bridge = BridgeClient::new("popup", |_, _| {}, |_| {});
    offer_placements(&document, &view, &bridge, window_id)?;
    let url = target
        .and_then(|tab| js_sys::Reflect::get(&tab, &"url".into()).ok())
        .and_then(|url| url.as_string());
    let Some(url) = url else {
        view.show(State::Cannot, &platform::message("popupCannot", &[]));
        return Ok(());
    };
    let bridge = BridgeClient::new("popup", |_, _| {}, |_| {});
    let status = bridge
        .request(ToBackground::SiteStatus { url: url.clone() })
        .await;
    if let Ok(Reply::Site(status)) = &status {
        ImportView::start(&document, &bridge, &url, status)?;
        super::popup_whole_list::WholeListView::start(&document, &bridge, tab_id, status)?;
    }
    view.render(status);

    show_logs(&document, &bridge).await?;
    offer_scan(&view, &bridge, tab_id, &url);
    offer_site_country(&view, &bridge, tab_id, &url);
    let switch = view.switch.clone();
    EventListener::new(&switch, "click", move |_| {
        let (view, bridge, url) = (view.clone(), bridge.clone(), url.clone());
        if view.is_on() {
            wasm_bindgen_futures::spawn_local(async move {
                view.render(bridge.request(ToBackground::DisableSite { url }).await);
            });
            return;
        }
        let subdomains = view.subdomains.checked();
        let pattern = match SitePattern::for_page(&url, subdomains) {
            Ok(site) => site.match_pattern(),
            Err(err) => return view.show(State::Error, &err.to_string()),
        };
        // Inside the click handler, before any await: the browser needs the user's gesture.
        let asked = platform::from_json(&json!({ "origins": [pattern] }).to_string())
            .and_then(|origins| platform::call(&["permissions", "request"], &[origins]));
        wasm_bindgen_futures::spawn_local(async move {
            let granted = match asked {
                Ok(promise) => {
                    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&promise))
                        .await
                        .map(|v| v.as_bool() == Some(true))
                }
                Err(err) => Err(err),
            };
            match granted {
                Ok(true) => {
                    let enable = ToBackground::EnableSite { url, subdomains };
                    view.render(bridge.request(enable).await);
                }
                Ok(false) => {
                    let site = SitePattern::for_page(&url, subdomains)
                        .map(|s| s.to_string())
                        .unwrap_or(url);
                    view.show(State::Off, &platform::message("popupDenied", &[&site]));
                }
                Err(err) => view.show(
                    State::Error,
                    &platform::message("popupError", &[&format!("{err:?}")]),
                ),
            }
        });
    })
    .forget();
    Ok(())
}

/// Where the call and message logs stand (shown once anything was logged), with the way to
/// the options page where waiting deliveries are retried.
async fn show_logs(document: &Document, bridge: &BridgeClient) -> Result<(), JsValue> {
    let get = |id: &str| {
        document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("popup.html has no #{id}")))
    };
    let (boxed, status, open) = (get("logs-box")?, get("logs-status")?, get("open-options")?);
    EventListener::new(&open, "click", |_| {
        wasm_bindgen_futures::spawn_local(async {
            let _ = platform::call_async(&["runtime", "openOptionsPage"], &[]).await;
        });
    })
    .forget();
    let Ok(Reply::Logs { summary }) = bridge.request(ToBackground::LogSummary).await else {
        return Ok(());
    };
    let (kind, text) = match (summary.entries, summary.waiting, summary.attention) {
        (0, 0, _) => return Ok(()),
        (_, 0, _) => ("ok", platform::message("popupLogsDelivered", &[])),
        (_, waiting, 0) => (
            "ok",
            platform::message("popupLogsWaiting", &[&waiting.to_string()]),
        ),
        (_, _, attention) => (
            "attention",
            platform::message("popupLogsAttention", &[&attention.to_string()]),
        ),
    };
    status.set_attribute("data-kind", kind)?;
    status.set_text_content(Some(&text));
    boxed.remove_attribute("hidden")
}

/// "Scan this page now": asks the page's discovery walker to read it again, then shows what the
/// background made of it.
fn offer_scan(view: &Rc<PopupView>, bridge: &BridgeClient, tab_id: Option<f64>, url: &str) {
    let (view, bridge, url) = (view.clone(), bridge.clone(), url.to_owned());
    let button = view.scan.clone();
    EventListener::new(&button, "click", move |_| {
        let Some(tab) = tab_id else { return };
        let (view, bridge, url) = (view.clone(), bridge.clone(), url.clone());
        wasm_bindgen_futures::spawn_local(scan_again(view, bridge, tab, url));
    })
    .forget();
}

/// Has the tab's walker read its page again, then shows what the background made of it.
async fn scan_again(view: Rc<PopupView>, bridge: BridgeClient, tab: f64, url: String) {
    view.scan.set_disabled(true);
    view.page_status
        .set_text_content(Some(&platform::message("popupScanning", &[])));
    let _ = platform::send_to_tab(tab, &ToContentScript::ScanPage).await;
    // The walker reads in slices and the background answers it; then ask for the result.
    gloo_timers::future::TimeoutFuture::new(1_200).await;
    view.render(bridge.request(ToBackground::SiteStatus { url }).await);
    view.scan.set_disabled(false);
}

/// The site's country, offered when the page wrote numbers without one that the guess could
/// not read: saved for the site (its other options kept), then the page is read again.
fn offer_site_country(view: &Rc<PopupView>, bridge: &BridgeClient, tab_id: Option<f64>, url: &str) {
    let (view, bridge, url) = (view.clone(), bridge.clone(), url.to_owned());
    let form = view.country_box.clone();
    EventListener::new_with_options(
        &form,
        "submit",
        gloo::events::EventListenerOptions::enable_prevent_default(),
        move |event| {
            event.prevent_default();
            let Some(site) = view.listed_site.borrow().clone() else {
                return;
            };
            let country = view.country.value();
            let (view, bridge, url) = (view.clone(), bridge.clone(), url.clone());
            wasm_bindgen_futures::spawn_local(async move {
                view.country_save.set_disabled(true);
                let request = ToBackground::SetSiteCountry {
                    site,
                    country: country.clone(),
                };
                let said = match bridge.request(request).await {
                    Ok(Reply::Settings { .. }) => Ok(country.trim().to_ascii_uppercase()),
                    Ok(Reply::Error { message }) => Err(message),
                    Ok(other) => Err(format!("{other:?}")),
                    Err(err) => Err(format!("{err:?}")),
                };
                view.country_save.set_disabled(false);
                match said {
                    Ok(code) => {
                        let _ = view.country.remove_attribute("aria-invalid");
                        let text = platform::message("popupSiteCountrySaved", &[&code]);
                        view.say_country(true, &text);
                        if let Some(tab) = tab_id {
                            scan_again(view.clone(), bridge, tab, url).await;
                            view.say_country(true, &text);
                        }
                    }
                    Err(message) => {
                        let _ = view.country.set_attribute("aria-invalid", "true");
                        view.say_country(false, &platform::message("popupError", &[&message]));
                    }
                }
            });
        },
    )
    .forget();
}

/// The two other places the phone can live, where one login serves every site.
fn offer_placements(
    document: &Document,
    view: &Rc<PopupView>,
    bridge: &BridgeClient,
    window_id: Option<f64>,
) -> Result<(), JsValue> {
    let panel = document
        .get_element_by_id("open-panel")
        .ok_or("popup.html has no #open-panel")?;
    let panel_view = view.clone();
    EventListener::new(&panel, "click", move |_| {
        // Inside the click: both browsers open side panels only for a user gesture.
        if let Err(err) = platform::open_side_panel(window_id) {
            panel_view.show(
                State::Error,
                &platform::message("popupError", &[&format!("{err:?}")]),
            );
        }
    })
    .forget();
    let phone_window = document
        .get_element_by_id("open-window")
        .ok_or("popup.html has no #open-window")?;
    let (window_view, bridge) = (view.clone(), bridge.clone());
    EventListener::new(&phone_window, "click", move |_| {
        let (view, bridge) = (window_view.clone(), bridge.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(Reply::Error { message }) =
                bridge.request(ToBackground::OpenPhoneWindow).await
            {
                view.show(State::Error, &platform::message("popupError", &[&message]));
            }
        });
    })
    .forget();
    Ok(())
}

/// The tab the popup is about: `?tab=<id>` when another extension page opens it for a tab,
/// else the active tab of the popup's window (its address readable through `activeTab`).
async fn target_tab(window: &web_sys::Window) -> Option<JsValue> {
    let search = window.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    let tab = match params.get("tab").and_then(|id| id.parse::<f64>().ok()) {
        Some(id) => platform::call_async(&["tabs", "get"], &[JsValue::from_f64(id)])
            .await
            .ok()?,
        None => {
            let query = platform::from_json(r#"{"active":true,"currentWindow":true}"#).ok()?;
            let tabs = platform::call_async(&["tabs", "query"], &[query])
                .await
                .ok()?;
            js_sys::Array::from(&tabs).get(0)
        }
    };
    (!tab.is_undefined()).then_some(tab)
}

#[derive(Clone, Copy)]
enum State {
    On,
    Off,
    Cannot,
    Error,
}

struct PopupView {
    body: web_sys::HtmlElement,
    site: Element,
    switch: web_sys::HtmlButtonElement,
    subdomains: HtmlInputElement,
    subdomains_text: Element,
    status: Element,
    page_box: web_sys::HtmlElement,
    page_status: Element,
    page_hint: web_sys::HtmlElement,
    scan: web_sys::HtmlButtonElement,
    phone: Element,
    country_box: HtmlElement,
    country: HtmlInputElement,
    country_save: web_sys::HtmlButtonElement,
    country_status: Element,
    left_out: HtmlElement,
    left_out_summary: Element,
    left_out_reasons: Element,
    /// The enabled site as listed (what the site's country is saved under).
    listed_site: RefCell<Option<String>>,
}

impl PopupView {
    fn new(document: &Document) -> Result<Self, JsValue> {
        let get = |id: &str| {
            document
                .get_element_by_id(id)
                .ok_or_else(|| JsValue::from_str(&format!("popup.html has no #{id}")))
        };
        Ok(Self {
            body: document.body().ok_or("no body")?,
            site: get("site")?,
            switch: get("site-switch")?.dyn_into()?,
            subdomains: get("subdomains")?.dyn_into()?,
            subdomains_text: get("subdomains-text")?,
            status: get("status")?,
            page_box: get("page-box")?.dyn_into()?,
            page_status: get("page-status")?,
            scan: get("scan-page")?.dyn_into()?,
            phone: get("phone-status")?,
            page_hint: get("page-hint")?.dyn_into()?,
            country_box: get("country-box")?.dyn_into()?,
            country: get("site-country")?.dyn_into()?,
            country_save: get("site-country-save")?.dyn_into()?,
            country_status: get("country-status")?,
            left_out: get("left-out")?.dyn_into()?,
            left_out_summary: get("left-out-summary")?,
            left_out_reasons: get("left-out-reasons")?,
            listed_site: RefCell::new(None),
        })
    }

    fn is_on(&self) -> bool {
        self.switch.get_attribute("aria-checked").as_deref() == Some("true")
    }

    fn render(&self, reply: Result<Reply, JsValue>) {
        match reply {
            Ok(Reply::Site(status)) => {
                self.render_site(&status);
                self.render_page(&status);
                self.render_phone(&status);
            }
            Ok(Reply::Error { message }) => {
                self.show(State::Error, &platform::message("popupError", &[&message]))
            }
            Ok(other) => self.show(State::Error, &format!("{other:?}")),
            Err(err) => self.show(
                State::Error,
                &platform::message("popupError", &[&format!("{err:?}")]),
            ),
        }
    }

    fn render_site(&self, status: &SiteStatus) {
        self.listed_site.replace(status.enabled_as.clone());
        let Some(site) = &status.site else {
            self.site.set_text_content(Some("—"));
            return self.show(State::Cannot, &platform::message("popupCannot", &[]));
        };
        let host = site.split("://").nth(1).unwrap_or(site);
        self.site.set_text_content(Some(host));
        let is_address =
            host.chars().all(|c| c.is_ascii_digit() || c == '.') || !host.contains('.');
        let _ = self
            .subdomains
            .parent_element()
            .map(|label| label.toggle_attribute_with_force("hidden", is_address));
        self.subdomains_text
            .set_text_content(Some(&platform::message("popupSubdomains", &[host])));
        self.switch.set_disabled(false);
        match &status.enabled_as {
            Some(_) if status.all_sites => {
                self.subdomains.set_checked(false);
                self.show(State::On, &platform::message("popupOnAllSites", &[]));
            }
            Some(enabled) => {
                self.subdomains.set_checked(enabled.contains("://*."));
                self.show(State::On, &platform::message("popupOn", &[enabled]));
            }
            None => self.show(State::Off, &platform::message("popupOff", &[])),
        }
    }

    /// Whether the phone is logged in, as an open phone last said in this browser session.
    fn render_phone(&self, status: &SiteStatus) {
        let (kind, text) = match &status.phone {
            Some(PhoneLogin {
                logged_in: true,
                login_number,
            }) => (
                "ok",
                platform::message(
                    "popupPhoneLoggedIn",
                    &[login_number.as_deref().unwrap_or_default()],
                ),
            ),
            Some(_) => ("attention", platform::message("popupPhoneLoggedOut", &[])),
            None => ("unknown", platform::message("popupPhoneUnknown", &[])),
        };
        let _ = self.phone.set_attribute("data-kind", kind);
        self.phone.set_text_content(Some(text.trim()));
    }

    /// What discovery knows of this page and site (shown while the site is on).
    fn render_page(&self, status: &SiteStatus) {
        self.page_box.set_hidden(status.enabled_as.is_none());
        let known = status.contacts.unwrap_or(0).to_string();
        let (kind, text) = match &status.page {
            Some(PageReading {
                found,
                truncated: Some(cut),
                ..
            }) => {
                let what = format!("{} {}", cut.scanned, cut.reason);
                (
                    "truncated",
                    platform::message("popupPageTruncated", &[&found.to_string(), &what]),
                )
            }
            Some(PageReading {
                found: 1,
                truncated: None,
                ..
            }) => ("ok", platform::message("popupPageFoundOne", &[&known])),
            Some(PageReading {
                found,
                truncated: None,
                ..
            }) => (
                "ok",
                platform::message("popupPageFound", &[&found.to_string(), &known]),
            ),
            None => ("ok", platform::message("popupPageKnown", &[&known])),
        };
        let _ = self.page_status.set_attribute("data-kind", kind);
        self.page_status.set_text_content(Some(&text));
        // Numbers the page wrote without a country that the guessed one could not read: the
        // user can tell the country once (options page) and they are read on the next scan.
        let unplaced = status
            .page
            .as_ref()
            .and_then(|p| p.unplaced.as_ref())
            .filter(|_| status.enabled_as.is_some());
        let held_back = status
            .page
            .as_ref()
            .and_then(|p| p.held_back)
            .filter(|_| status.enabled_as.is_some());
        self.render_left_out(
            status
                .page
                .as_ref()
                .and_then(|p| p.left_out.as_ref())
                .filter(|_| status.enabled_as.is_some()),
        );
        self.country_box
            .set_hidden(unplaced.is_none() || held_back.is_some());
        if let Some(held) = held_back {
            let key = match held.reason {
                HeldBack::SiteFull => "popupHeldSiteFull",
                HeldBack::StoreFull => "popupHeldStoreFull",
                HeldBack::TooFast => "popupHeldTooFast",
            };
            let _ = self.page_hint.set_attribute("data-kind", "held-back");
            self.page_hint
                .set_text_content(Some(&platform::message(key, &[&held.limit.to_string()])));
            self.page_hint.set_hidden(false);
            return;
        }
        let _ = self.page_hint.remove_attribute("data-kind");
        match unplaced {
            Some(unplaced) => {
                let assumed = unplaced
                    .assumed_region
                    .clone()
                    .unwrap_or_else(|| platform::message("popupNoRegion", &[]));
                let hint =
                    platform::message("popupUnplaced", &[&unplaced.numbers.to_string(), &assumed]);
                self.page_hint.set_text_content(Some(&hint));
                self.page_hint.set_hidden(false);
            }
            None => self.page_hint.set_hidden(true),
        }
    }

    /// Why the page's other numbers are not lines to call, one line per reason, folded.
    fn render_left_out(&self, left_out: Option<&LeftOut>) {
        let lines = left_out
            .map(super::left_out_text::reason_lines)
            .unwrap_or_default();
        self.left_out.set_hidden(lines.is_empty());
        let Some(left_out) = left_out.filter(|_| !lines.is_empty()) else {
            return;
        };
        let total = left_out.total().to_string();
        self.left_out_summary
            .set_text_content(Some(&platform::message("popupLeftOut", &[&total])));
        self.left_out_reasons.set_text_content(None);
        let Some(document) = self.left_out_reasons.owner_document() else {
            return;
        };
        for (key, line) in lines {
            if let Ok(item) = document.create_element("li") {
                let _ = item.set_attribute("data-reason", key);
                item.set_text_content(Some(&line));
                let _ = self.left_out_reasons.append_child(&item);
            }
        }
    }

    fn say_country(&self, ok: bool, text: &str) {
        let kind = if ok { "ok" } else { "error" };
        let _ = self.country_status.set_attribute("data-kind", kind);
        self.country_status.set_text_content(Some(text));
    }

    fn show(&self, state: State, text: &str) {
        let (name, on) = match state {
            State::On => ("on", true),
            State::Off => ("off", false),
            State::Cannot => ("cannot", false),
            State::Error => ("error", self.is_on()),
        };
        let _ = self.body.set_attribute("data-state", name);
        let _ = self
            .switch
            .set_attribute("aria-checked", if on { "true" } else { "false" });
        self.subdomains.set_disabled(on);
        if matches!(state, State::Cannot) {
            self.switch.set_disabled(true);
        }
        self.status.set_text_content(Some(text));
    }
}
