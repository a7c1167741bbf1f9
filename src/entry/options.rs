//! Options page entry (`options.html`): phone settings, service switches, sites, settings file.
//!
//! The page never writes storage itself: it sends whole settings to the background, whose core
//! validates them (`Settings::from_json`) and refuses bad ones whole, so a bad value or a bad
//! file never half-applies.

use super::bridge_client::BridgeClient;
use super::i18n::localize;
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use gloo::events::EventListener;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement};

/// Text inputs: element id → key in `settings.widget`.
const WIDGET_FIELDS: [(&str, &str); 4] = [
    ("app-url", "appUrl"),
    ("client-id", "clientId"),
    ("app-server", "appServer"),
    ("redirect-uri", "redirectUri"),
];
/// Checkboxes named as keys of `settings.services`.
const SERVICES: [&str; 6] = [
    "contacts",
    "activities",
    "callLogging",
    "messageLogging",
    "doNotContact",
    "meetingInvite",
];

/// Starts the options page.
#[wasm_bindgen]
pub async fn start_options() -> Result<(), JsValue> {
    let document = web_sys::window()
        .ok_or("no window")?
        .document()
        .ok_or("no document")?;
    localize(&document)?;
    let page = Rc::new(OptionsPage {
        document: document.clone(),
        bridge: BridgeClient::new("options", |_, _| {}, |_| {}),
        settings: RefCell::new(Value::Null),
    });
    let current = page.bridge.request(ToBackground::GetSettings).await;
    page.apply(current, "form-status", None);

    let form = page.element("settings-form")?;
    let on_submit = page.clone();
    // gloo listeners are passive unless told otherwise, and a passive one cannot stop the submit.
    let active = gloo::events::EventListenerOptions::enable_prevent_default();
    EventListener::new_with_options(&form, "submit", active, move |event| {
        event.prevent_default();
        let page = on_submit.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Start from the settings as stored now: the widget may have changed its toggles
            // since this page loaded, and a stale copy must not be saved over them.
            if let Ok(Reply::Settings { settings }) =
                page.bridge.request(ToBackground::GetSettings).await
            {
                *page.settings.borrow_mut() = settings;
            }
            let settings = page.settings_with_form_values();
            let reply = page
                .bridge
                .request(ToBackground::SaveSettings { settings })
                .await;
            page.apply(reply, "form-status", Some("optionsSaved"));
        });
    })
    .forget();

    let export = page.element("export")?;
    let on_export = page.clone();
    EventListener::new(&export, "click", move |_| {
        if let Err(err) = on_export.export() {
            platform::log_error(&format!("export failed: {err:?}"));
        }
    })
    .forget();

    let import: HtmlInputElement = page.element("import")?.dyn_into()?;
    let on_import = page.clone();
    EventListener::new(&import.clone(), "change", move |_| {
        let Some(file) = import.files().and_then(|files| files.get(0)) else {
            return;
        };
        let page = on_import.clone();
        let input = import.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            input.set_value("");
            let text = text.ok().and_then(|t| t.as_string()).unwrap_or_default();
            match serde_json::from_str::<Value>(&text) {
                Ok(settings) => {
                    let reply = page
                        .bridge
                        .request(ToBackground::SaveSettings { settings })
                        .await;
                    page.apply(reply, "file-status", Some("optionsImported"));
                }
                Err(err) => page.say(
                    "file-status",
                    false,
                    &platform::message(
                        "optionsRefused",
                        &[&format!("the file is not a settings file ({err})")],
                    ),
                ),
            }
        });
    })
    .forget();
    Ok(())
}

struct OptionsPage {
    document: Document,
    bridge: BridgeClient,
    /// The settings as last stored (fields the page does not show are kept as they are).
    settings: RefCell<Value>,
}

impl OptionsPage {
    fn element(&self, id: &str) -> Result<Element, JsValue> {
        self.document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("options.html has no #{id}")))
    }

    fn input(&self, id: &str) -> Option<HtmlInputElement> {
        self.element(id).ok()?.dyn_into().ok()
    }

    fn service(&self, name: &str) -> Option<HtmlInputElement> {
        let selector = format!("input[name=\"{name}\"]");
        self.document
            .query_selector(&selector)
            .ok()??
            .dyn_into()
            .ok()
    }

    /// Shows a reply: new settings fill the page; an error is said where `status` is.
    fn apply(self: &Rc<Self>, reply: Result<Reply, JsValue>, status: &str, done: Option<&str>) {
        match reply {
            Ok(Reply::Settings { settings }) => {
                self.fill(&settings);
                *self.settings.borrow_mut() = settings;
                if let Some(done) = done {
                    self.say(status, true, &platform::message(done, &[]));
                }
                let _ = self
                    .document
                    .body()
                    .map(|b| b.set_attribute("data-state", "ready"));
            }
            Ok(Reply::Error { message }) => {
                let invalid = message.contains("widget URL");
                if let Some(url) = self.input("app-url") {
                    let _ =
                        url.set_attribute("aria-invalid", if invalid { "true" } else { "false" });
                }
                self.say(
                    status,
                    false,
                    &platform::message("optionsRefused", &[&message]),
                );
            }
            Ok(other) => self.say(status, false, &format!("{other:?}")),
            Err(err) => self.say(status, false, &format!("{err:?}")),
        }
    }

    fn say(&self, status: &str, ok: bool, text: &str) {
        if let Ok(element) = self.element(status) {
            let _ = element.set_attribute("data-kind", if ok { "ok" } else { "error" });
            element.set_text_content(Some(text));
        }
    }

    fn fill(self: &Rc<Self>, settings: &Value) {
        for (id, key) in WIDGET_FIELDS {
            if let Some(input) = self.input(id) {
                input.set_value(settings["widget"][key].as_str().unwrap_or_default());
                let _ = input.set_attribute("aria-invalid", "false");
            }
        }
        for name in SERVICES {
            if let Some(input) = self.service(name) {
                input.set_checked(settings["services"][name].as_bool().unwrap_or(true));
            }
        }
        let _ = self.fill_sites(settings);
    }

    fn fill_sites(self: &Rc<Self>, settings: &Value) -> Result<(), JsValue> {
        let list = self.element("sites")?;
        list.set_text_content(None);
        let sites: Vec<String> = settings["sites"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        if sites.is_empty() {
            let empty = self.document.create_element("li")?;
            empty.set_text_content(Some(&platform::message("optionsNoSites", &[])));
            list.append_child(&empty)?;
        }
        for site in sites {
            let item = self.document.create_element("li")?;
            let name = self.document.create_element("span")?;
            name.set_text_content(Some(&site));
            let forget = self.document.create_element("button")?;
            forget.set_attribute("type", "button")?;
            let label = platform::message("optionsForget", &[]);
            forget.set_text_content(Some(&label));
            forget.set_attribute("aria-label", &format!("{label} {site}"))?;
            let page = self.clone();
            EventListener::new(&forget, "click", move |_| {
                let (page, site) = (page.clone(), site.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let reply = page.bridge.request(ToBackground::ForgetSite { site }).await;
                    page.apply(reply, "form-status", None);
                });
            })
            .forget();
            item.append_child(&name)?;
            item.append_child(&forget)?;
            list.append_child(&item)?;
        }
        Ok(())
    }

    /// The stored settings with the form's values.
    fn settings_with_form_values(&self) -> Value {
        let mut settings = self.settings.borrow().clone();
        if !settings.is_object() {
            settings = serde_json::json!({});
        }
        for (id, key) in WIDGET_FIELDS {
            if let Some(input) = self.input(id) {
                settings["widget"][key] = Value::from(input.value().trim());
            }
        }
        for name in SERVICES {
            if let Some(input) = self.service(name) {
                settings["services"][name] = Value::from(input.checked());
            }
        }
        settings
    }

    /// Downloads the stored settings as `crm-bridge-settings.json`.
    fn export(&self) -> Result<(), JsValue> {
        let text = serde_json::to_string_pretty(&*self.settings.borrow())
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        let parts = js_sys::Array::of1(&JsValue::from_str(&text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/json");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let link: web_sys::HtmlAnchorElement = self.document.create_element("a")?.dyn_into()?;
        link.set_href(&url);
        link.set_download("crm-bridge-settings.json");
        link.click();
        web_sys::Url::revoke_object_url(&url)?;
        Ok(())
    }
}
