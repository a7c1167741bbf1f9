//! Background entry (Chrome service worker, Firefox event page): hands browser events to the
//! core and posts back what it answers.
//!
//! The loader (`extension/background.js`) registers the browser listeners synchronously, as MV3
//! requires for a worker woken by an event, and forwards them here once the Wasm is ready.

use super::stored_settings::{load_settings, SETTINGS_KEY};
use crate::background::BackgroundCore;
use crate::platform::{self, Port};
use crate::service::Effect;
use crate::settings::Settings;
use serde_json::json;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Id of our dynamic content-script registration (one registration covers every enabled site).
const SITES_SCRIPT_ID: &str = "crm-bridge-sites";

/// The running background: the core plus what ties it to ports.
#[wasm_bindgen]
pub struct Background {
    core: Rc<BackgroundCore>,
}

/// Builds the background once the Wasm is instantiated; `script_start_ms` is the loader's
/// `performance.now()` at its first line, for the cold-start figure.
#[wasm_bindgen]
pub fn start_background(script_start_ms: f64) -> Background {
    let core = BackgroundCore::new(script_start_ms, platform::now_ms());
    Background {
        core: Rc::new(core),
    }
}

#[wasm_bindgen]
impl Background {
    /// Takes over a port from `runtime.onConnect`. Only our own extension pages may talk to the
    /// background this way: the browser fills `sender`, so a content script or another
    /// extension cannot pretend to be the widget host.
    pub fn connect(&self, port: Port) {
        let own_pages = platform::extension_url("");
        match platform::port_sender_url(&port) {
            Some(url) if !own_pages.is_empty() && url.starts_with(&own_pages) => {}
            _ => {
                port.disconnect();
                return;
            }
        }
        let core = self.core.clone();
        let reply_port = port.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
            let Some(text) = platform::to_json(&message) else {
                return;
            };
            let core = core.clone();
            let port = reply_port.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some((answer, effects)) = core.handle_text(&text).await {
                    post(&port, &answer);
                    for effect in effects {
                        carry_out(effect).await;
                    }
                }
            });
        });
        port.on_message()
            .add_listener(on_message.as_ref().unchecked_ref());
        // The message listener lives exactly as long as the port.
        let release = Closure::once_into_js(move || drop(on_message));
        port.on_disconnect().add_listener(release.unchecked_ref());
        // Settings first (registration is built from them), then tell the page we are ready.
        let core = self.core.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let (settings, problem) = load_settings().await;
            if let Some(problem) = problem {
                platform::log_error(&problem);
            }
            core.set_settings(settings);
            post(&port, &core.ready());
        });
    }
}

/// Does what a handler asked for besides its answer.
async fn carry_out(effect: Effect) {
    let result = match &effect {
        Effect::OpenUrl(url) => {
            let options = platform::from_json(&json!({ "url": url, "active": true }).to_string());
            match options {
                Ok(options) => platform::call_async(&["tabs", "create"], &[options])
                    .await
                    .map(drop),
                Err(err) => Err(err),
            }
        }
        Effect::OpenOptions => platform::call_async(&["runtime", "openOptionsPage"], &[])
            .await
            .map(drop),
        // Posted by the widget host together with the answer.
        Effect::PostToWidget(_) => Ok(()),
    };
    if let Err(err) = result {
        platform::log_error(&format!("could not carry out {effect:?}: {err:?}"));
    }
}

fn post(port: &Port, message: &impl serde::Serialize) {
    let sent = serde_json::to_string(message)
        .map_err(|err| JsValue::from_str(&err.to_string()))
        .and_then(|text| platform::from_json(&text))
        .and_then(|value| port.post_message(&value));
    if let Err(err) = sent {
        platform::log_error(&format!("could not answer on a port: {err:?}"));
    }
}

/// `runtime.onInstalled`: applies a packaged preset (admin or test copy) when no settings
/// exist yet, then registers the content script for the enabled sites.
#[wasm_bindgen]
pub async fn on_installed() -> Result<(), JsValue> {
    let stored = platform::storage_local_get(SETTINGS_KEY).await?;
    if stored.is_none() {
        if let Some(preset) = platform::fetch_text(&platform::extension_url("preset.json"))
            .await
            .ok()
            .flatten()
        {
            match Settings::from_json(&preset) {
                Ok(settings) => {
                    let text = serde_json::to_string(&settings)
                        .map_err(|e| JsValue::from_str(&e.to_string()))?;
                    platform::storage_local_set(SETTINGS_KEY, &text).await?;
                }
                Err(err) => platform::log_error(&format!("preset.json ignored: {err}")),
            }
        }
    }
    reconcile_content_scripts().await
}

/// `runtime.onStartup`: registrations persist, but permissions may have been revoked meanwhile.
#[wasm_bindgen]
pub async fn on_startup() -> Result<(), JsValue> {
    reconcile_content_scripts().await
}

/// Makes the registered content script cover exactly the enabled sites we hold permission for.
async fn reconcile_content_scripts() -> Result<(), JsValue> {
    let (settings, problem) = load_settings().await;
    if let Some(problem) = problem {
        platform::log_error(&problem);
    }
    let mut granted = Vec::new();
    for pattern in settings.site_match_patterns() {
        let query = platform::from_json(&json!({ "origins": [pattern] }).to_string())?;
        if platform::call_async(&["permissions", "contains"], &[query])
            .await?
            .as_bool()
            .unwrap_or(false)
        {
            granted.push(pattern);
        }
    }
    let ids = platform::from_json(&json!({ "ids": [SITES_SCRIPT_ID] }).to_string())?;
    let existing = platform::call_async(
        &["scripting", "getRegisteredContentScripts"],
        std::slice::from_ref(&ids),
    )
    .await?;
    if js_sys::Array::from(&existing).length() > 0 {
        platform::call_async(&["scripting", "unregisterContentScripts"], &[ids]).await?;
    }
    if granted.is_empty() {
        return Ok(());
    }
    let script = json!([{
        "id": SITES_SCRIPT_ID,
        "matches": granted,
        "js": ["content.js"],
        "runAt": "document_idle",
        "allFrames": false,
        "persistAcrossSessions": true,
    }]);
    platform::call_async(
        &["scripting", "registerContentScripts"],
        &[platform::from_json(&script.to_string())?],
    )
    .await?;
    Ok(())
}
