//! "Try it on the open tab" for a site recipe (options page): the site's open tab collects its
//! evidence with the recipe being edited, and the discovery module reads it here, exactly as a
//! real visit would, except that nothing is stored. So a user sees what a recipe finds before
//! saving it, on the page they are looking at.

use super::discovery_client;
use crate::platform;
use crate::protocol::bridge::{Reply, ToContentScript};
use crate::protocol::evidence::PageEvidence;
use crate::settings::recipe::Recipe;
use crate::settings::Settings;
use wasm_bindgen::JsValue;

/// Contacts sent back to the options page (the count says how many there were in all).
pub const PREVIEW_SHOWN: usize = 10;

/// Reads the site's open tab (match `pattern`) with `recipe`: what discovery finds there.
pub async fn preview(settings: &Settings, pattern: &str, recipe: Option<Box<Recipe>>) -> Reply {
    match read_tab(settings, pattern, recipe).await {
        Ok(reply) => reply,
        Err(message) => Reply::Error { message },
    }
}

async fn read_tab(
    settings: &Settings,
    pattern: &str,
    recipe: Option<Box<Recipe>>,
) -> Result<Reply, String> {
    let tab = site_tab(pattern).await.ok_or(
        "no page of this site is open: open one in a tab (a list or a record), then try again",
    )?;
    let message = serde_json::to_string(&ToContentScript::PreviewRecipe { recipe })
        .map_err(|err| err.to_string())
        .and_then(|text| platform::from_json(&text).map_err(|err| format!("{err:?}")))?;
    let answer = platform::call_async(&["tabs", "sendMessage"], &[JsValue::from_f64(tab), message])
        .await
        .map_err(|_| {
            "the open page of this site has no crm-bridge yet (it was opened before the site \
             was switched on): reload it, then try again"
                .to_owned()
        })?;
    let answer = platform::to_json(&answer).unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    if let Some(error) = answer.get("error").and_then(|e| e.as_str()) {
        return Err(format!(
            "the page could not be read with this recipe: {error}"
        ));
    }
    let evidence: PageEvidence = serde_json::from_value(answer["evidence"].clone())
        .map_err(|err| format!("the page's evidence was unreadable: {err}"))?;
    // The tab may have navigated away meanwhile; only this site's pages are read.
    if settings
        .site_for_url(&evidence.url)
        .map(|s| s.match_pattern())
        != Some(pattern.into())
    {
        return Err("the open tab left this site; open one of its pages and try again".into());
    }
    let found = discovery_client::discover(&evidence, settings.default_region.as_deref()).await?;
    Ok(Reply::RecipePreview {
        url: evidence.url,
        found: found.contacts.len(),
        contacts: found.contacts.into_iter().take(PREVIEW_SHOWN).collect(),
    })
}

/// The id of the site's tab the user most likely means: the active one, else the one used last.
async fn site_tab(pattern: &str) -> Option<f64> {
    let query = platform::from_json(&serde_json::json!({ "url": pattern }).to_string()).ok()?;
    let tabs = platform::call_async(&["tabs", "query"], &[query])
        .await
        .ok()?;
    let field = |tab: &JsValue, name: &str| js_sys::Reflect::get(tab, &name.into()).ok();
    js_sys::Array::from(&tabs)
        .iter()
        .filter_map(|tab| {
            let id = field(&tab, "id")?.as_f64()?;
            let active = field(&tab, "active").and_then(|a| a.as_bool()) == Some(true);
            let used = field(&tab, "lastAccessed")
                .and_then(|t| t.as_f64())
                .unwrap_or(0.0);
            Some((active, used, id))
        })
        .max_by(|a, b| {
            (a.0, a.1)
                .partial_cmp(&(b.0, b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|(_, _, id)| id)
}
