//! The popup's notice that the store came back emptier than it was (`census`), shown until
//! the user dismisses it; Diagnostics keeps the same sentence among its recent errors.

use super::census::STORE_NOTICE_KEY;
use crate::platform;
use gloo::events::EventListener;
use wasm_bindgen::prelude::*;
use web_sys::Document;

/// Shows the notice, if one is kept, with its Dismiss button.
pub async fn show_store_notice(document: &Document) -> Result<(), JsValue> {
    let kept = platform::storage_local_get(STORE_NOTICE_KEY).await?;
    let Some(sentence) =
        kept.and_then(|text| serde_json::from_str::<Option<String>>(&text).ok().flatten())
    else {
        return Ok(());
    };
    let get = |id: &str| {
        document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("popup.html has no #{id}")))
    };
    let boxed: web_sys::HtmlElement = get("store-notice")?.dyn_into()?;
    get("store-notice-text")?.set_text_content(Some(&sentence));
    boxed.set_hidden(false);
    let hide = boxed.clone();
    let button = get("store-notice-dismiss")?;
    EventListener::new(&button, "click", move |_| {
        hide.set_hidden(true);
        wasm_bindgen_futures::spawn_local(async {
            if let Err(err) = platform::storage_local_set(STORE_NOTICE_KEY, "null").await {
                platform::log_error(&format!("cannot dismiss the store notice: {err:?}"));
            }
        });
    })
    .forget();
    Ok(())
}
