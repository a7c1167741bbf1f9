//! The options page's "every site except …" switch: the opt-in mode for teams that want the
//! phone everywhere. Turning it on asks the browser for access to all sites inside the click
//! (the prompt needs the user's gesture); nothing is saved unless the browser says yes.

use super::bridge_client::BridgeClient;
use super::options_ui::{mark_invalid, say};
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use crate::settings::ALL_SITES_PATTERNS;
use gloo::events::EventListener;
use serde_json::{json, Value};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlInputElement, HtmlTextAreaElement};

/// The switch and the exception list.
struct Controls {
    on: HtmlInputElement,
    except: HtmlTextAreaElement,
}

fn controls(document: &Document) -> Result<Controls, JsValue> {
    let get = |id: &str| {
        document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("options.html has no #{id}")))
    };
    Ok(Controls {
        on: get("all-sites-on")?.dyn_into()?,
        except: get("all-sites-except")?.dyn_into()?,
    })
}

/// Shows the stored mode.
pub fn fill(document: &Document, settings: &Value) {
    let Ok(controls) = controls(document) else {
        return;
    };
    let mode = &settings["allSites"];
    controls
        .on
        .set_checked(mode["on"].as_bool().unwrap_or(false));
    let lines: Vec<&str> = mode["except"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|site| site.strip_prefix("https://").unwrap_or(site))
        .collect();
    controls.except.set_value(&lines.join("\n"));
    mark_invalid(&controls.except, false);
}

/// Wires the save button; `applied` shows the background's answer (new settings or an error).
pub fn wire(
    document: &Document,
    bridge: &Rc<BridgeClient>,
    was_on: impl Fn() -> bool + 'static,
    applied: impl Fn(Result<Reply, JsValue>) + 'static,
) -> Result<(), JsValue> {
    let button = document
        .get_element_by_id("all-sites-save")
        .ok_or("options.html has no #all-sites-save")?;
    let (document, bridge, applied) = (document.clone(), bridge.clone(), Rc::new(applied));
    EventListener::new(&button, "click", move |_| {
        let Ok(controls) = controls(&document) else {
            return;
        };
        let (on, except) = (controls.on.checked(), controls.except.value());
        // Inside the click handler, before any await: the browser needs the user's gesture.
        let asked = (on && !was_on()).then(|| {
            platform::from_json(&json!({ "origins": ALL_SITES_PATTERNS }).to_string())
                .and_then(|origins| platform::call(&["permissions", "request"], &[origins]))
        });
        let (document, bridge, applied) = (document.clone(), bridge.clone(), applied.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let status = document.get_element_by_id("all-sites-status");
            if let Some(asked) = asked {
                let granted = match asked {
                    Ok(promise) => {
                        wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&promise))
                            .await
                    }
                    Err(err) => Err(err),
                };
                if granted.ok().and_then(|v| v.as_bool()) != Some(true) {
                    controls.on.set_checked(false);
                    if let Some(status) = status {
                        say(
                            &status,
                            false,
                            &platform::message("optionsAllSitesDenied", &[]),
                        );
                    }
                    return;
                }
            }
            let reply = bridge
                .request(ToBackground::SetAllSites { on, except })
                .await;
            let refused = matches!(reply, Ok(Reply::Error { .. }));
            mark_invalid(&controls.except, refused);
            applied(reply);
        });
    })
    .forget();
    Ok(())
}
