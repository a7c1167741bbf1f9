//! Small pieces every block of the options page uses: status lines, invalid-field marks,
//! downloads.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// A polite live region for a status sentence (`say` fills it).
pub fn status_line(document: &Document, id: &str) -> Result<Element, JsValue> {
    let status = document.create_element("p")?;
    status.set_id(id);
    status.set_attribute("role", "status")?;
    status.set_attribute("aria-live", "polite")?;
    Ok(status)
}

/// Marks a field wrong (or right) for assistive technology and the eye (`aria-invalid`).
pub fn mark_invalid(field: &Element, invalid: bool) {
    let _ = field.set_attribute("aria-invalid", if invalid { "true" } else { "false" });
}

/// Shows a status sentence, marked as success or error for styling and tests.
pub fn say(status: &Element, ok: bool, text: &str) {
    let _ = status.set_attribute("data-kind", if ok { "ok" } else { "error" });
    status.set_text_content(Some(text));
}

/// Offers `text` as a download named `name`.
pub fn download(document: &Document, text: &str, mime: &str, name: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}
