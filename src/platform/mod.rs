//! The one room where browsers differ.
//!
//! - Namespace: Firefox offers promise-based `browser.*`; Chrome offers `chrome.*` (promise-based
//!   in MV3). [`api`] picks one, and nothing else in the crate names either.
//! - Background: Chrome runs `background.js` as a module service worker, Firefox as a module
//!   event page (a `Window`). Code here uses only what both globals have (`performance`,
//!   `fetch`, `indexedDB` through rexie).
//! - Manifest keys: derived per browser by `cargo xtask dist` (xtask/src/manifest.rs).

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// A `runtime.Port`: the long-lived channel between an extension page and the background.
    #[derive(Clone, Debug)]
    pub type Port;
    /// Sends a structured-clonable message; throws when the port is disconnected.
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    pub fn post_message(this: &Port, message: &JsValue) -> Result<(), JsValue>;
    /// Fires with each message from the other end.
    #[wasm_bindgen(method, getter, js_name = onMessage)]
    pub fn on_message(this: &Port) -> ApiEvent;
    /// Fires when the other end goes away (e.g. the service worker was stopped).
    #[wasm_bindgen(method, getter, js_name = onDisconnect)]
    pub fn on_disconnect(this: &Port) -> ApiEvent;
    /// The name given to `runtime.connect`.
    #[wasm_bindgen(method, getter)]
    pub fn name(this: &Port) -> String;
    /// Who opened the port, filled in by the browser (never by the sender).
    #[wasm_bindgen(method, getter)]
    pub fn sender(this: &Port) -> JsValue;
    /// Closes the port.
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Port);

    /// A WebExtension event (`onMessage`, `onDisconnect`, ...).
    #[derive(Clone, Debug)]
    pub type ApiEvent;
    /// Registers a listener.
    #[wasm_bindgen(method, js_name = addListener)]
    pub fn add_listener(this: &ApiEvent, listener: &Function);
}

/// The extension API namespace of this browser.
pub fn api() -> JsValue {
    let global = js_sys::global();
    for name in ["browser", "chrome"] {
        if let Ok(namespace) = Reflect::get(&global, &JsValue::from_str(name)) {
            if namespace.is_object() && has(&namespace, "runtime") {
                return namespace;
            }
        }
    }
    JsValue::UNDEFINED
}

fn has(object: &JsValue, key: &str) -> bool {
    Reflect::get(object, &JsValue::from_str(key)).is_ok_and(|v| !v.is_undefined())
}

/// Calls `api().<path>(args…)` with the right `this`.
pub fn call(path: &[&str], args: &[JsValue]) -> Result<JsValue, JsValue> {
    let (method, parent_path) = path.split_last().ok_or("empty API path")?;
    let mut this = api();
    for key in parent_path {
        this = Reflect::get(&this, &JsValue::from_str(key))?;
    }
    let function: Function = Reflect::get(&this, &JsValue::from_str(method))?
        .dyn_into()
        .map_err(|_| JsValue::from_str(&format!("{} is not available", path.join("."))))?;
    let arguments: Array = args.iter().collect();
    function.apply(&this, &arguments)
}

/// Calls a promise-returning API and awaits it.
///
/// Firefox hands a page framed inside a web page API promises from another compartment, which
/// fail an `instanceof Promise` check; `Promise.resolve` adopts any thenable as a local promise.
pub async fn call_async(path: &[&str], args: &[JsValue]) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&call(path, args)?)).await
}

/// The `runtime.onX` event named by `path`, e.g. `["runtime", "onConnect"]`.
pub fn event(path: &[&str]) -> Result<ApiEvent, JsValue> {
    let mut value = api();
    for key in path {
        value = Reflect::get(&value, &JsValue::from_str(key))?;
    }
    Ok(value.unchecked_into())
}

/// Opens a port to the background.
pub fn connect(name: &str) -> Result<Port, JsValue> {
    let info = Object::new();
    Reflect::set(&info, &"name".into(), &name.into())?;
    Ok(call(&["runtime", "connect"], &[info.into()])?.unchecked_into())
}

/// `runtime.getURL(path)`: where a file of the extension is served.
pub fn extension_url(path: &str) -> String {
    call(&["runtime", "getURL"], &[path.into()])
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The URL of the extension page that opened a port, if the browser says it is ours.
pub fn port_sender_url(port: &Port) -> Option<String> {
    let sender = port.sender();
    sender_is_own(&sender)
        .then(|| sender_url(&sender))
        .flatten()
}

/// Whether a `runtime.MessageSender` is this extension (the browser fills it, not the sender).
pub fn sender_is_own(sender: &JsValue) -> bool {
    let own_id = Reflect::get(&api(), &"runtime".into())
        .and_then(|runtime| Reflect::get(&runtime, &"id".into()))
        .ok()
        .and_then(|id| id.as_string());
    let id = Reflect::get(sender, &"id".into())
        .ok()
        .and_then(|id| id.as_string());
    own_id.is_some() && own_id == id
}

/// The tab a `runtime.MessageSender` (or a port's sender) is in, if any.
pub fn sender_tab_id(sender: &JsValue) -> Option<i64> {
    let tab = Reflect::get(sender, &"tab".into()).ok()?;
    number_field(&tab, "id").map(|id| id as i64)
}

/// The frame a `runtime.MessageSender` (or a port's sender) is in, if the browser says.
pub fn sender_frame_id(sender: &JsValue) -> Option<i64> {
    number_field(sender, "frameId").map(|id| id as i64)
}

/// A numeric property of an API object (`tab.id`, …).
pub fn number_field(object: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(object, &key.into()).ok()?.as_f64()
}

/// The URL of the document that sent a message.
pub fn sender_url(sender: &JsValue) -> Option<String> {
    Reflect::get(sender, &"url".into()).ok()?.as_string()
}

/// 128 random bits as hex, from `crypto.getRandomValues` (workers and pages alike).
pub fn random_token() -> String {
    let bytes = js_sys::Uint8Array::new_with_length(16);
    let filled = Reflect::get(&js_sys::global(), &"crypto".into())
        .and_then(|crypto| {
            let get: Function = Reflect::get(&crypto, &"getRandomValues".into())?.dyn_into()?;
            get.call1(&crypto, &bytes)
        })
        .is_ok();
    assert!(filled, "crypto.getRandomValues is unavailable"); // never issue a guessable ticket
    bytes.to_vec().iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one `storage.local` value as JSON text (`None` when unset).
pub async fn storage_local_get(key: &str) -> Result<Option<String>, JsValue> {
    storage_get("local", key).await
}

/// Writes one `storage.local` value from JSON text.
pub async fn storage_local_set(key: &str, json: &str) -> Result<(), JsValue> {
    storage_set("local", key, json).await
}

/// Reads one `storage.sync` value (follows the user to their other browsers).
pub async fn storage_sync_get(key: &str) -> Result<Option<String>, JsValue> {
    storage_get("sync", key).await
}

/// Writes one `storage.sync` value from JSON text (fails beyond the browser's sync quota).
pub async fn storage_sync_set(key: &str, json: &str) -> Result<(), JsValue> {
    storage_set("sync", key, json).await
}

/// Reads one `storage.session` value (kept across worker restarts, gone with the browser).
pub async fn storage_session_get(key: &str) -> Result<Option<String>, JsValue> {
    storage_get("session", key).await
}

/// Writes one `storage.session` value from JSON text.
pub async fn storage_session_set(key: &str, json: &str) -> Result<(), JsValue> {
    storage_set("session", key, json).await
}

async fn storage_get(area: &str, key: &str) -> Result<Option<String>, JsValue> {
    let items = call_async(&["storage", area, "get"], &[key.into()]).await?;
    let value = Reflect::get(&items, &key.into())?;
    if value.is_undefined() {
        return Ok(None);
    }
    Ok(js_sys::JSON::stringify(&value)?.as_string())
}

async fn storage_set(area: &str, key: &str, json: &str) -> Result<(), JsValue> {
    let items = Object::new();
    Reflect::set(&items, &key.into(), &js_sys::JSON::parse(json)?)?;
    call_async(&["storage", area, "set"], &[items.into()]).await?;
    Ok(())
}

/// Opens the phone beside the page: Chrome's side panel for a window, Firefox's sidebar. Both
/// browsers allow it only inside a user gesture, so call it directly from a click handler.
pub fn open_side_panel(window_id: Option<f64>) -> Result<JsValue, JsValue> {
    let side_panel = Reflect::get(&api(), &"sidePanel".into())?;
    if !side_panel.is_undefined() {
        let options = Object::new();
        if let Some(id) = window_id {
            Reflect::set(&options, &"windowId".into(), &JsValue::from_f64(id))?;
        }
        return call(&["sidePanel", "open"], &[options.into()]);
    }
    call(&["sidebarAction", "open"], &[])
}

/// The bulk import's page reader: fetches and reads one page off-screen and answers with a
/// `PageReaderAnswer` (JSON text). Where the background can parse HTML (Firefox's event page)
/// the loader's `crmBridgeReadPage` does it here; Chrome's service worker cannot, so the
/// request goes to the offscreen document (`offscreen.html`), created on first use.
pub async fn read_page_off_screen(request_json: &str) -> Result<String, JsValue> {
    let global = js_sys::global();
    let request = js_sys::JSON::parse(request_json)?;
    let answer = if has(&global, "DOMParser") {
        let read: Function = Reflect::get(&global, &"crmBridgeReadPage".into())?
            .dyn_into()
            .map_err(|_| JsValue::from_str("the page reader is not loaded"))?;
        JsFuture::from(Promise::resolve(&read.call1(&global, &request)?)).await?
    } else {
        open_offscreen_reader().await?;
        let message = Object::new();
        Reflect::set(&message, &"target".into(), &"pageReader".into())?;
        Reflect::set(&message, &"request".into(), &request)?;
        call_async(&["runtime", "sendMessage"], &[message.into()]).await?
    };
    if answer.is_undefined() || answer.is_null() {
        return Err(JsValue::from_str("the page reader did not answer"));
    }
    to_json(&answer).ok_or_else(|| JsValue::from_str("unreadable page reader answer"))
}

/// Gets the page reader ready before the first page is timed (Chrome: creates the offscreen
/// document), so the pace a bulk import keeps is the pace the CRM sees.
pub async fn open_page_reader() -> Result<(), JsValue> {
    if has(&js_sys::global(), "DOMParser") {
        return Ok(());
    }
    open_offscreen_reader().await
}

/// Creates Chrome's offscreen page reader unless it is open.
async fn open_offscreen_reader() -> Result<(), JsValue> {
    let url = extension_url("offscreen.html");
    let query = from_json(r#"{"contextTypes":["OFFSCREEN_DOCUMENT"]}"#)?;
    let open = call_async(&["runtime", "getContexts"], &[query]).await?;
    if Array::from(&open).length() > 0 {
        return Ok(());
    }
    let options = Object::new();
    Reflect::set(&options, &"url".into(), &url.into())?;
    let reasons: Array = [JsValue::from_str("DOM_PARSER")].iter().collect();
    Reflect::set(&options, &"reasons".into(), &reasons)?;
    Reflect::set(
        &options,
        &"justification".into(),
        &"Reads the pages of a CRM list the user chose to import, to find its contacts".into(),
    )?;
    match call_async(&["offscreen", "createDocument"], &[options.into()]).await {
        // Two imports' first pages racing: the other one created it.
        Err(err) if format!("{err:?}").contains("single offscreen") => Ok(()),
        other => other.map(drop),
    }
}

/// Closes Chrome's offscreen page reader when an import has ended (nothing to do elsewhere).
pub async fn close_page_reader() {
    if has(&api(), "offscreen") {
        let _ = call_async(&["offscreen", "closeDocument"], &[]).await;
    }
}

/// A UI string from `_locales` with `$1`… substitutions (empty when the key is unknown).
pub fn message(key: &str, substitutions: &[&str]) -> String {
    let subs: Array = substitutions.iter().map(|s| JsValue::from_str(s)).collect();
    call(&["i18n", "getMessage"], &[key.into(), subs.into()])
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// `performance.now()` of this context (worker or window).
pub fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// Fetches a text resource (works in a worker and a window: `fetch` is on the global).
pub async fn fetch_text(url: &str) -> Result<Option<String>, JsValue> {
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())?.dyn_into()?;
    let response: web_sys::Response =
        JsFuture::from(Promise::resolve(&fetch.call1(&JsValue::NULL, &url.into())?))
            .await?
            .dyn_into()?;
    if !response.ok() {
        return Ok(None);
    }
    Ok(JsFuture::from(response.text()?).await?.as_string())
}

/// POSTs `body` with `headers` and gives the HTTP status, or why there was none (network
/// error, dropped connection, no answer within `timeout_ms`). Redirects are not followed: a
/// webhook that moved must be changed in the options page, not silently re-targeted (and a
/// CRM that redirects to its login page is read as "signed out"). `with_session` sends the
/// browser's cookies for the URL (a site's own CRM endpoint); webhooks never get them.
pub async fn post(
    url: &str,
    headers: &[(String, String)],
    body: &str,
    timeout_ms: u32,
    with_session: bool,
) -> Result<u16, String> {
    let words = |err: JsValue| {
        Reflect::get(&err, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| format!("{err:?}"))
    };
    let controller = web_sys::AbortController::new().map_err(words)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_credentials(match with_session {
        true => web_sys::RequestCredentials::Include,
        false => web_sys::RequestCredentials::Omit,
    });
    init.set_signal(Some(&controller.signal()));
    let header_map = web_sys::Headers::new().map_err(words)?;
    for (name, value) in headers {
        header_map.set(name, value).map_err(words)?;
    }
    init.set_headers(&header_map);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(words)?;
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .and_then(|f| f.dyn_into())
        .map_err(words)?;
    let abort = controller.clone();
    let timer = gloo::timers::callback::Timeout::new(timeout_ms, move || abort.abort());
    let promise = fetch.call1(&JsValue::NULL, &request).map_err(words)?;
    let answer = JsFuture::from(Promise::resolve(&promise)).await;
    let timed_out = controller.signal().aborted();
    drop(timer);
    match answer {
        Ok(response) => {
            let response: web_sys::Response = response.dyn_into().map_err(words)?;
            // An opaque redirect reports status 0.
            match response.status() {
                0 => Ok(302),
                status => Ok(status),
            }
        }
        Err(_) if timed_out => Err(format!("no answer within {} s", timeout_ms / 1000)),
        Err(err) => Err(format!("network error: {}", words(err))),
    }
}

/// An open tab, as `tabs.query` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenTab {
    /// Its id.
    pub id: f64,
    /// Its address; hidden from us where we hold no access to the tab's site.
    pub url: Option<String>,
    /// The tab shown in its window.
    pub active: bool,
    /// When the user last used it (ms since the epoch; 0 where the browser does not say).
    pub last_accessed: f64,
}

/// The open tabs whose address matches a match pattern.
pub async fn tabs_matching(pattern: &str) -> Result<Vec<OpenTab>, JsValue> {
    let query = from_json(&serde_json::json!({ "url": [pattern] }).to_string())?;
    let tabs = call_async(&["tabs", "query"], &[query]).await?;
    let field = |tab: &JsValue, name: &str| Reflect::get(tab, &name.into()).ok();
    Ok(Array::from(&tabs)
        .iter()
        .filter_map(|tab| {
            Some(OpenTab {
                id: number_field(&tab, "id")?,
                url: field(&tab, "url").and_then(|url| url.as_string()),
                active: field(&tab, "active").and_then(|a| a.as_bool()) == Some(true),
                last_accessed: number_field(&tab, "lastAccessed").unwrap_or(0.0),
            })
        })
        .collect())
}

/// Sends `message` to our content scripts in tab `tab` (`tabs.sendMessage`) and gives their
/// answer; fails when nothing of ours listens there.
pub async fn send_to_tab(tab: f64, message: &impl serde::Serialize) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(message).map_err(|err| JsValue::from_str(&err.to_string()))?;
    call_async(
        &["tabs", "sendMessage"],
        &[JsValue::from_f64(tab), from_json(&text)?],
    )
    .await
}

/// Converts a JS value to JSON text for the serde core.
pub fn to_json(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value).ok()?.as_string()
}

/// Converts JSON text from the serde core to a JS value for posting.
pub fn from_json(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}

/// Logs something developers may want when debugging, below the error level.
pub fn log_debug(message: &str) {
    web_sys::console::debug_1(&JsValue::from_str(&format!("crm-bridge: {message}")));
}

/// Logs an error where developers look (worker or page console).
pub fn log_error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(&format!("crm-bridge: {message}")));
}
