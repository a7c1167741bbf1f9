//! The background's door to the discovery module (`crates/discovery`, its own Wasm).
//!
//! libphonenumber makes that module ≈2 MB, so the worker does not load it at wake-up: the
//! loader (`extension/background.js`) imports only its small JS glue and puts a function on the
//! global that instantiates the Wasm the first time a page's evidence has to be read.

use crate::contacts::Contact;
use crate::protocol::evidence::{LeftOut, PageEvidence, Truncation, Unplaced};
use js_sys::{Function, Promise, Reflect};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The loader's global function: `(evidenceJson, contextJson) => Promise<string>`.
const DISCOVER_FUNCTION: &str = "crmBridgeDiscover";

/// What the module answers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    truncated: Option<Truncation>,
    #[serde(default)]
    unplaced: Option<Unplaced>,
    #[serde(default)]
    left_out: Option<LeftOut>,
    #[serde(default)]
    error: Option<String>,
}

/// What discovery read on a page.
pub struct Found {
    /// The contacts, ids local to the site.
    pub contacts: Vec<Contact>,
    /// Set when the page was too large to read whole.
    pub truncated: Option<Truncation>,
    /// Numbers written without a country that could not be read.
    pub unplaced: Option<Unplaced>,
    /// The other numbers that did not become callable lines, by reason.
    pub left_out: Option<LeftOut>,
}

/// The contacts on a page, read by the discovery module with the country the user set for its
/// site (or for every site).
pub async fn discover(
    evidence: &PageEvidence,
    default_region: Option<&str>,
) -> Result<Found, String> {
    let global = js_sys::global();
    let function: Function = Reflect::get(&global, &DISCOVER_FUNCTION.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("the discovery module is not loaded in this build")?;
    let locale = Reflect::get(&global, &"navigator".into())
        .and_then(|n| Reflect::get(&n, &"language".into()))
        .ok()
        .and_then(|l| l.as_string());
    let context = serde_json::json!({
        "defaultRegion": default_region,
        "locale": locale,
        "nowMs": js_sys::Date::now(),
    });
    let evidence = serde_json::to_string(evidence).map_err(|e| e.to_string())?;
    let promise: Promise = function
        .call2(&global, &evidence.into(), &context.to_string().into())
        .and_then(|p| p.dyn_into())
        .map_err(|err| format!("discovery failed to start: {err:?}"))?;
    let text = JsFuture::from(promise)
        .await
        .map_err(|err| format!("discovery failed: {err:?}"))?
        .as_string()
        .ok_or("discovery answered something other than text")?;
    let answer: Answer =
        serde_json::from_str(&text).map_err(|e| format!("discovery answer: {e}"))?;
    match answer.error {
        Some(error) => Err(error),
        None => Ok(Found {
            contacts: answer.contacts,
            truncated: answer.truncated,
            unplaced: answer.unplaced,
            left_out: answer.left_out,
        }),
    }
}
