//! Page localisation shared by the extension's own pages.

use crate::platform;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// Fills every `[data-i18n]` element from `_locales`.
pub fn localize(document: &Document) -> Result<(), JsValue> {
    let nodes = document.query_selector_all("[data-i18n]")?;
    for i in 0..nodes.length() {
        if let Some(element) = nodes.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let key = element.get_attribute("data-i18n").unwrap_or_default();
            let text = platform::message(&key, &[]);
            if !text.is_empty() {
                element.set_text_content(Some(&text));
            }
        }
    }
    Ok(())
}
