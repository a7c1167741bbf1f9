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
    let answer = platform::send_to_tab(tab, &ToContentScript::PreviewRecipe { recipe })
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
    let found =
        discovery_client::discover(&evidence, settings.region_for_url(&evidence.url)).await?;
    Ok(Reply::RecipePreview {
        url: evidence.url,
        found: found.contacts.len(),
        contacts: found.contacts.into_iter().take(PREVIEW_SHOWN).collect(),
        unplaced: found.unplaced,
        left_out: found.left_out,
    })
}

/// The id of the site's tab the user most likely means: the active one, else the one used last.
async fn site_tab(pattern: &str) -> Option<f64> {
    platform::tabs_matching(pattern)
        .await
        .ok()?
        .into_iter()
        .max_by(|a, b| {
            (a.active, a.last_accessed)
                .partial_cmp(&(b.active, b.last_accessed))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|tab| tab.id)
}
