//! Widget host entry (`widget.html`): frames the Embeddable app and relays between it and the
//! background.
//!
//! The host is an extension page on purpose: the CRM page cannot read it or its messages, it
//! runs under the extension's CSP (Wasm allowed) instead of the page's, and the page's CSP does
//! not apply to it. Only messages whose `source` is our widget frame's window and whose `origin`
//! is the configured widget origin are accepted, and answers go only there.

use super::bridge_client::{BridgeClient, ChannelState};
use super::stored_settings::{load_settings, SETTINGS_KEY};
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use crate::protocol::commands::WidgetCommand;
use crate::protocol::widget::{ServiceResponse, WidgetOrigin};
use crate::service::description::widget_settings_items;
use crate::service::lifecycle::WidgetLifecycle;
use crate::settings::Settings;
use gloo::events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlElement, HtmlIFrameElement, MessageEvent, RequestInit, RequestMode};

/// The iframe id the Embeddable docs and peers use (protocol.md §1.3).
const WIDGET_FRAME_ID: &str = "rc-widget-adapter-frame";
/// Sandbox of adapter.js's own frame (protocol.md §1.3): no top navigation of the CRM page.
const WIDGET_SANDBOX: &str = "allow-same-origin allow-scripts allow-forms allow-popups \
                              allow-downloads allow-popups-to-escape-sandbox";

/// Starts the widget host in the current page.
#[wasm_bindgen]
pub async fn start_widget_host() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let (settings, problem) = load_settings().await;
    if let Some(problem) = problem {
        show_notice(&document, &problem, "settings", None)?;
    }
    let status = StatusLine::new(&document)?;

    let frame_url = match settings.widget_frame_url() {
        Ok(url) => url,
        Err(err) => {
            show_notice(&document, &err.to_string(), "settings", None)?;
            return Ok(());
        }
    };
    // Shared and replaceable: the options page may point the widget elsewhere while it is open.
    let origin = Rc::new(RefCell::new(WidgetOrigin::of(
        &settings.widget_url().map_err(|e| e.to_string())?,
    )));
    let ticket = take_ticket(&window);
    let widget_window = Rc::new(prepare_widget_frame(&document)?);
    let target = widget_window.clone();
    let target_origin = origin.clone();
    let bridge = BridgeClient::new(
        "widget-host",
        move |_, reply| deliver(&target, &target_origin, reply, &status),
        {
            let status = StatusLine::new(&document)?;
            move |state| status.show_channel(&state)
        },
    );
    {
        let (frame, origin) = (widget_window.clone(), origin.clone());
        bridge.on_widget_messages(move |messages| {
            if let Some(widget) = frame.content_window() {
                for message in messages.iter() {
                    post_js(&widget, &origin.borrow(), &message);
                }
            }
        });
    }
    bridge.send(ToBackground::Ping {
        sent_at_ms: platform::now_ms(),
    });

    // No widget before the background admits this host (see background::tickets).
    let ticket = if is_framed(&window) {
        // In a page: never a ticket from the address, only a code the content script vouched
        // for (whatever the address says the placement is).
        claimed_ticket(&window, &bridge).await
    } else if is_side_panel(&window) {
        match bridge.request(ToBackground::WidgetTicket).await {
            Ok(Reply::Ticket { ticket }) => Some(ticket),
            _ => None,
        }
    } else {
        ticket
    };
    let admitted = match ticket {
        Some(ticket) => match bridge.request(ToBackground::Admit { ticket }).await {
            Ok(Reply::Admitted { ok: true, pass }) => {
                if let Some(pass) = pass {
                    bridge.resume_with(pass);
                }
                true
            }
            _ => false,
        },
        None => false,
    };
    if !admitted {
        show_notice(
            &document,
            &platform::message("hostRefused", &[]),
            "refused",
            None,
        )?;
        return Ok(());
    }
    if placement(&window) == "floating" && !embedded_storage_works(&window) {
        offer_phone_window(&document, &bridge)?;
        return Ok(());
    }
    widget_window.set_src(&frame_url);
    follow_settings(widget_window.clone(), origin.clone(), settings.clone())?;
    area(&document)?.append_child(&widget_window)?;
    check_reachable(&document, &frame_url);

    let lifecycle = Rc::new(RefCell::new(WidgetLifecycle::default()));
    let loads = lifecycle.clone();
    EventListener::new(&widget_window, "load", move |_| {
        loads.borrow_mut().frame_loaded()
    })
    .forget();

    let relay = bridge.clone();
    let answer_frame = widget_window.clone();
    EventListener::new(&window, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else {
            return;
        };
        let from_widget = match (event.source(), widget_window.content_window()) {
            (Some(source), Some(widget)) => JsValue::from(source) == JsValue::from(widget),
            _ => false,
        };
        if !from_widget || !origin.borrow().accepts(&event.origin()) {
            return;
        }
        let data = event.data();
        let Some(message) = platform::to_json(&data)
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        else {
            refuse_unreadable(&answer_frame, &origin.borrow(), &data);
            return;
        };
        if lifecycle.borrow_mut().should_register(&message) {
            relay.send(ToBackground::Register);
        }
        relay.send(ToBackground::FromWidget { message });
    })
    .forget();
    Ok(())
}

/// Applies settings changes to the open widget without reloading the CRM tab: when its address
/// or options or the registered services change, the widget frame loads anew (a new widget
/// lifetime, which the lifecycle registers again with the new services).
fn follow_settings(
    frame: Rc<HtmlIFrameElement>,
    origin: Rc<RefCell<WidgetOrigin>>,
    mut applied: Settings,
) -> Result<(), JsValue> {
    let on_change =
        Closure::<dyn FnMut(JsValue, JsValue)>::new(move |changes: JsValue, area: JsValue| {
            if area.as_string().as_deref() != Some("local") {
                return;
            }
            let new_value = js_sys::Reflect::get(&changes, &SETTINGS_KEY.into())
                .and_then(|change| js_sys::Reflect::get(&change, &"newValue".into()));
            let Some(next) = new_value
                .ok()
                .and_then(|value| platform::to_json(&value))
                .and_then(|text| Settings::from_json(&text).ok())
            else {
                return;
            };
            if applied.needs_new_widget(&next) {
                if let (Ok(url), Ok(widget_url)) = (next.widget_frame_url(), next.widget_url()) {
                    *origin.borrow_mut() = WidgetOrigin::of(&widget_url);
                    frame.set_src(&url);
                }
            } else if applied.widget_toggles != next.widget_toggles {
                // Changed in the options page (or echoed after a change in the widget): show
                // the stored values in the widget's settings without a new widget lifetime.
                let update = WidgetCommand::UpdateThirdPartySettings {
                    settings: widget_settings_items(&next.widget_toggles),
                };
                post_to_widget(&frame, &origin.borrow(), &update.to_message());
            }
            applied = next;
        });
    platform::event(&["storage", "onChanged"])?.add_listener(on_change.as_ref().unchecked_ref());
    on_change.forget(); // for the page's lifetime
    Ok(())
}

/// A request the core cannot read (not JSON-able, nested too deep) still gets an error answer
/// when it carries a request id, so the widget does not wait for its timeout.
fn refuse_unreadable(frame: &HtmlIFrameElement, origin: &WidgetOrigin, data: &JsValue) {
    let id = js_sys::Reflect::get(data, &"requestId".into())
        .ok()
        .and_then(|id| id.as_string());
    let Some(id) = id else {
        return;
    };
    let answer = ServiceResponse::error(&id, "crm-bridge cannot read this request");
    if let Ok(answer) = serde_json::to_value(&answer) {
        post_to_widget(frame, origin, &answer);
    }
}

/// Acts on one answer from the background.
fn deliver(
    frame: &HtmlIFrameElement,
    origin: &RefCell<WidgetOrigin>,
    reply: Reply,
    status: &StatusLine,
) {
    match reply {
        Reply::Pong {
            version,
            sent_at_ms,
        } => status.show_pong(&version, platform::now_ms() - sent_at_ms),
        Reply::ToWidget { messages } => {
            let Some(widget) = frame.content_window() else {
                return;
            };
            for message in messages {
                post_text(&widget, &origin.borrow(), message.text());
            }
        }
        Reply::Error { message } => platform::log_error(&message),
        // Answers to requests the host awaits itself, or never makes.
        Reply::Diagnostics { .. }
        | Reply::About(_)
        | Reply::JournalImported(_)
        | Reply::NumberExplained(_)
        | Reply::Ticket { .. }
        | Reply::ClaimCode { .. }
        | Reply::Vouched { .. }
        | Reply::Admitted { .. }
        | Reply::Site(_)
        | Reply::Done
        | Reply::Imported { .. }
        | Reply::ImportWritten { .. }
        | Reply::Import { .. }
        | Reply::Discovered { .. }
        | Reply::EvidenceWanted
        | Reply::Recipe { .. }
        | Reply::RecipePreview { .. }
        | Reply::Removed { .. }
        | Reply::Contacts { .. }
        | Reply::ContactCounts { .. }
        | Reply::Logs { .. }
        | Reply::Journal { .. }
        | Reply::Outbox { .. }
        | Reply::Settings { .. } => {}
    }
}

/// Posts one message to the widget frame's window, only for the widget's origin.
fn post_to_widget(frame: &HtmlIFrameElement, origin: &WidgetOrigin, message: &serde_json::Value) {
    if let Some(widget) = frame.content_window() {
        post_to(&widget, origin, message);
    }
}

fn post_to(widget: &web_sys::Window, origin: &WidgetOrigin, message: &serde_json::Value) {
    post_text(widget, origin, &message.to_string());
}

/// Posts a message given as JSON text to the widget window, for the widget's origin only.
fn post_text(widget: &web_sys::Window, origin: &WidgetOrigin, text: &str) {
    match platform::from_json(text) {
        Ok(value) => post_js(widget, origin, &value),
        Err(err) => platform::log_error(&format!("could not post to the widget: {err:?}")),
    }
}

/// Posts a JavaScript value to the widget window, for the widget's origin only.
fn post_js(widget: &web_sys::Window, origin: &WidgetOrigin, message: &JsValue) {
    if let Err(err) = widget.post_message(message, origin.as_str()) {
        platform::log_error(&format!("could not post to the widget: {err:?}"));
    }
}

/// The widget iframe, configured but not yet loading anything or in the page.
fn prepare_widget_frame(document: &Document) -> Result<HtmlIFrameElement, JsValue> {
    let frame: HtmlIFrameElement = document.create_element("iframe")?.dyn_into()?;
    frame.set_id(WIDGET_FRAME_ID);
    frame.set_attribute("allow", "microphone; autoplay")?;
    frame.set_attribute("sandbox", WIDGET_SANDBOX)?;
    frame.set_attribute("title", &platform::message("hostFrameTitle", &[]))?;
    Ok(frame)
}

/// Where this host is shown: `floating` (in a CRM page), `window`, or `panel`.
fn placement(window: &web_sys::Window) -> String {
    if is_side_panel(window) {
        return "panel".into();
    }
    window
        .location()
        .search()
        .ok()
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|params| params.get("placement"))
        .unwrap_or_else(|| "window".into())
}

/// Whether this is `panel.html`: the host as Chrome's side panel or Firefox's sidebar. It is not
/// web-accessible (no web page can load it), so it may ask for its own admission ticket.
fn is_side_panel(window: &web_sys::Window) -> bool {
    window
        .location()
        .pathname()
        .is_ok_and(|path| path == "/panel.html")
}

/// Whether this frame may use storage. Inside a CRM page Chromium refuses it when the user
/// blocks third-party cookies, and then the widget (framed here too) could never keep its login.
fn embedded_storage_works(window: &web_sys::Window) -> bool {
    matches!(window.local_storage(), Ok(Some(_)))
}

/// Instead of a widget that cannot log in: the offer to open the phone in its own window, where
/// its login is kept once for every site.
fn offer_phone_window(document: &Document, bridge: &BridgeClient) -> Result<(), JsValue> {
    let bridge = bridge.clone();
    let open = NoticeAction {
        id: "open-phone-window",
        label: platform::message("hostOpenWindow", &[]),
        on_click: Box::new(move || {
            let bridge = bridge.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(Reply::Error { message }) =
                    bridge.request(ToBackground::OpenPhoneWindow).await
                {
                    platform::log_error(&message);
                }
            });
        }),
    };
    show_notice(
        document,
        &platform::message("hostStorageBlocked", &[]),
        "storage-blocked",
        Some(open),
    )
}

/// Whether this host is framed by another document (a page), not a window or panel of its own.
fn is_framed(window: &web_sys::Window) -> bool {
    match window.parent() {
        Ok(Some(parent)) => JsValue::from(parent) != JsValue::from(window.clone()),
        _ => true,
    }
}

/// How long a framed host waits for its content script to vouch for its claim code.
const VOUCH_WAIT_MS: u32 = 10_000;

/// The admission of a host framed in a page: a claim code bound to this frame, shown to the
/// parent (our content script, which vouches for it over the runtime channel; the page may
/// read it too, but cannot use it). Resolves with the code once vouched for.
async fn claimed_ticket(window: &web_sys::Window, bridge: &BridgeClient) -> Option<String> {
    let Ok(Reply::ClaimCode { code }) = bridge.request(ToBackground::ClaimCode).await else {
        return None;
    };
    let parent = window.parent().ok().flatten()?;
    let vouched = wait_for_vouch(window, &parent);
    let claim = js_sys::Object::new();
    js_sys::Reflect::set(&claim, &"crmBridge".into(), &"claim".into()).ok()?;
    js_sys::Reflect::set(&claim, &"code".into(), &code.as_str().into()).ok()?;
    parent.post_message(&claim, "*").ok()?;
    let ok = wasm_bindgen_futures::JsFuture::from(vouched).await.ok()?;
    ok.is_truthy().then_some(code)
}

/// Resolves `true` when the parent window says it vouched for this host's code, `false` after
/// [`VOUCH_WAIT_MS`]. Only messages whose source is the parent window count.
fn wait_for_vouch(window: &web_sys::Window, parent: &web_sys::Window) -> js_sys::Promise {
    let window = window.clone();
    let parent = JsValue::from(parent.clone());
    js_sys::Promise::new(&mut |resolve, _| {
        let parent = parent.clone();
        let listener = Rc::new(RefCell::new(None::<EventListener>));
        let kept = listener.clone();
        let done = resolve.clone();
        *listener.borrow_mut() = Some(EventListener::new(&window, "message", move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let from_parent = event.source().is_some_and(|s| JsValue::from(s) == parent);
            let said = js_sys::Reflect::get(&event.data(), &"crmBridge".into())
                .ok()
                .and_then(|v| v.as_string());
            if from_parent && said.as_deref() == Some("vouched") {
                let _ = done.call1(&JsValue::NULL, &JsValue::TRUE);
                kept.borrow_mut().take();
            }
        }));
        gloo::timers::callback::Timeout::new(VOUCH_WAIT_MS, move || {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::FALSE);
            listener.borrow_mut().take();
        })
        .forget();
    })
}

/// Reads the admission ticket from `#ticket=…` and removes it from the address.
fn take_ticket(window: &web_sys::Window) -> Option<String> {
    let hash = window.location().hash().ok()?;
    let ticket = hash.strip_prefix("#ticket=")?.to_owned();
    let location = window.location();
    let bare = format!("{}{}", location.pathname().ok()?, location.search().ok()?);
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&bare));
    }
    (!ticket.is_empty()).then_some(ticket)
}

fn area(document: &Document) -> Result<web_sys::Element, JsValue> {
    document
        .get_element_by_id("widget-area")
        .ok_or_else(|| JsValue::from_str("widget.html has no #widget-area"))
}

/// A cross-origin frame that fails to load still fires `load` (with an error page), so ask the
/// network directly: an opaque `no-cors` fetch succeeds when the server answers at all.
fn check_reachable(document: &Document, url: &str) {
    let document = document.clone();
    let url = url.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let init = RequestInit::new();
        init.set_mode(RequestMode::NoCors);
        let reached = match web_sys::window() {
            Some(window) => {
                wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(&url, &init))
                    .await
                    .is_ok()
            }
            None => false,
        };
        if !reached {
            let text = platform::message("hostUnreachable", &[&url]);
            let _ = show_notice(&document, &text, "unreachable", Some(reload_action()));
        }
    });
}

/// A button under a notice.
struct NoticeAction {
    id: &'static str,
    label: String,
    on_click: Box<dyn FnMut()>,
}

/// Replaces the widget area's content with a readable message (never a blank box), marks the
/// page's state (`data-widget`) and offers an action when there is one.
fn show_notice(
    document: &Document,
    text: &str,
    state: &str,
    action: Option<NoticeAction>,
) -> Result<(), JsValue> {
    let notice = document
        .get_element_by_id("widget-notice")
        .ok_or("widget.html has no #widget-notice")?;
    notice.set_text_content(Some(text));
    if let Some(mut action) = action {
        let button = document.create_element("button")?;
        button.set_id(action.id);
        button.set_text_content(Some(&action.label));
        EventListener::new(&button, "click", move |_| (action.on_click)()).forget();
        notice.append_child(&button)?;
    }
    notice.remove_attribute("hidden")?;
    document
        .body()
        .ok_or("no body")?
        .set_attribute("data-widget", state)?;
    Ok(())
}

fn reload_action() -> NoticeAction {
    NoticeAction {
        id: "retry",
        label: platform::message("hostRetry", &[]),
        on_click: Box::new(|| {
            if let Some(location) = web_sys::window().map(|w| w.location()) {
                let _ = location.reload();
            }
        }),
    }
}

/// The thin status line under the widget: is the background there, and how fast.
struct StatusLine {
    body: HtmlElement,
    text: web_sys::Element,
}

impl StatusLine {
    fn new(document: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            body: document.body().ok_or("no body")?,
            text: document
                .get_element_by_id("bridge-status-text")
                .ok_or("widget.html has no #bridge-status-text")?,
        })
    }

    fn show_channel(&self, state: &ChannelState) {
        let (status, text) = match state {
            ChannelState::Connecting => ("connecting", platform::message("hostConnecting", &[])),
            ChannelState::Ready(version) => ("ready", platform::message("hostReady", &[version])),
            ChannelState::Disconnected => ("idle", platform::message("hostIdle", &[])),
        };
        self.set(status, &text);
    }

    fn show_pong(&self, version: &str, round_trip_ms: f64) {
        self.set(
            "ready",
            &platform::message("hostConnected", &[version, &format!("{round_trip_ms:.1}")]),
        );
        let _ = self.body.set_attribute("data-ping", "ok");
    }

    fn set(&self, status: &str, text: &str) {
        let _ = self.body.set_attribute("data-bridge-status", status);
        self.text.set_text_content(Some(text));
    }
}
