//! crm-discovery: page evidence → contacts.
//!
//! The content script's walker (`extension/discover.js`) sends [`PageEvidence`]; this crate
//! reads it with generic detectors ([`detect`]) and libphonenumber ([`numbers`]). It is a Wasm
//! module of its own because libphonenumber's metadata is large (see README "Discovery"): the
//! background loads it only when a page's evidence has to be read, never to answer the widget.

pub mod detect;
pub mod identity;
pub mod json_ld;
pub mod labels;
pub mod memo;
pub mod numbers;
pub mod prose;
pub mod regions;
pub mod typed_rows;

use crm_bridge::contacts::Contact;
use crm_bridge::protocol::evidence::{LeftOut, PageEvidence, Truncation, Unplaced};
pub use detect::Context;
use serde::Serialize;

/// What discovery made of one page.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovery {
    /// Contacts, ids local to the site; `partial` for list rows and cards.
    pub contacts: Vec<Contact>,
    /// The walker stopped early on this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
    /// People's numbers the page wrote without a country that could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unplaced: Option<Unplaced>,
    /// The other numbers that did not become a callable line, by reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_out: Option<LeftOut>,
}

/// Reads a page's evidence (tables expanded here). Refuses evidence of another layout version.
pub fn interpret(evidence: &PageEvidence, context: &Context) -> Result<Discovery, String> {
    evidence.check()?;
    let mut evidence = evidence.clone().expanded()?;
    typed_rows::label_values_by_type(&mut evidence);
    json_ld::add_json_ld_scopes(&mut evidence);
    let detect::Detected {
        contacts,
        cut_short,
        unplaced,
        assumed_region,
        left_out,
    } = detect::detect(&evidence, context);
    let truncated = evidence.truncated.clone().or_else(|| {
        cut_short.then(|| Truncation {
            reason: "numbers".into(),
            scanned: detect::MAX_NUMBERS_PER_PAGE as u64,
        })
    });
    Ok(Discovery {
        contacts,
        truncated,
        unplaced: (unplaced > 0).then_some(Unplaced {
            numbers: unplaced,
            assumed_region,
        }),
        left_out: left_out.any().then_some(left_out),
    })
}

/// The Wasm entry: evidence JSON and context JSON in, [`Discovery`] JSON out (an `error`
/// object when the evidence cannot be read).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn interpret_json(evidence: &str, context: &str) -> String {
    let run = || -> Result<Discovery, String> {
        let evidence: PageEvidence =
            serde_json::from_str(evidence).map_err(|e| format!("page evidence: {e}"))?;
        let context: Context =
            serde_json::from_str(context).map_err(|e| format!("discovery context: {e}"))?;
        interpret(&evidence, &context)
    };
    match run() {
        Ok(found) => serde_json::to_string(&found).unwrap_or_else(|e| error_json(&e.to_string())),
        Err(err) => error_json(&err),
    }
}

#[cfg(target_arch = "wasm32")]
fn error_json(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}
