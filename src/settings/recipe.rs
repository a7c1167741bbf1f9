//! Site recipes: a site taught by hand when the generic detectors are not enough.
//!
//! A recipe names, with CSS selectors, where a site's pages show contacts: the element of each
//! contact in a list (`rows`) and, inside it, each field; or the fields of a record page
//! (`page`). The walker turns what the selectors find into evidence fields labelled with the
//! recipe's field names, so discovery reads them with the same rules (numbers still have to be
//! valid, names still have to be names). Documented in `docs/recipes.md`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The recipe layout this build reads.
pub const RECIPE_VERSION: u32 = 1;

/// Field names a recipe may use, each read as the role its name says.
pub const RECIPE_FIELDS: &[&str] = &[
    "name",
    "firstName",
    "lastName",
    "phone",
    "mobile",
    "workPhone",
    "homePhone",
    "fax",
    "email",
    "company",
    "jobTitle",
    "country",
    "address",
    "link",
];

/// Longest selector accepted (a recipe is typed or pasted by a person).
const MAX_SELECTOR: usize = 300;

/// One site's recipe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recipe {
    /// [`RECIPE_VERSION`].
    pub version: u32,
    /// Selector of each contact's element on list pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<String>,
    /// Inside each row: field name → selector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// On a record page: field name → selector, for the page's own contact.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub page: BTreeMap<String, String>,
    /// On list pages: the link to the list's next page, for the bulk import (when the page's
    /// pager does not say "next" in a way crm-bridge recognises).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The CRM's JSON API for the bulk import, instead of its pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<crate::bulk_import::api::ApiRecipe>,
    /// API mode for logging: the CRM's own endpoint (a full address on the site) that gets
    /// every call and message log, POSTed with the user's session (`docs/logging.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

impl Recipe {
    /// The CRM endpoint its `log` names, if it is on `site`: logs of a site go only to that
    /// site's own CRM, never to another host a recipe names.
    pub fn log_on(&self, site: &crate::sites::SitePattern) -> Option<crate::url::WebUrl> {
        let url = crate::url::WebUrl::parse(self.log.as_deref()?.trim()).ok()?;
        site.matches(&url).then_some(url)
    }

    /// Reads a recipe as the options page holds it (JSON text); empty text is no recipe.
    /// Refused whole, with the reason, when anything in it cannot be used.
    pub fn parse(text: &str) -> Result<Option<Recipe>, String> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let recipe: Recipe = serde_json::from_str(text).map_err(|err| format!("recipe: {err}"))?;
        recipe.check()?;
        Ok(Some(recipe))
    }

    /// Whether this build can use the recipe.
    pub fn check(&self) -> Result<(), String> {
        if self.version != RECIPE_VERSION {
            return Err(format!(
                "recipe version {} (this build reads {RECIPE_VERSION})",
                self.version
            ));
        }
        if self.rows.is_some() == self.fields.is_empty() {
            return Err("recipe: \"rows\" and \"fields\" go together".into());
        }
        if self.fields.is_empty()
            && self.page.is_empty()
            && self.next.is_none()
            && self.api.is_none()
            && self.log.is_none()
        {
            return Err(
                "recipe: give \"rows\" with \"fields\", \"page\", \"next\", \"api\" or \"log\""
                    .into(),
            );
        }
        if let Some(log) = &self.log {
            let url = crate::url::WebUrl::parse(log.trim()).map_err(|_| {
                format!(
                    "recipe log: give the CRM endpoint's full address, e.g. \
                     https://crm.example.com/api/calls (not \"{}\")",
                    log.chars().take(80).collect::<String>()
                )
            })?;
            if !url.is_secure() && !url.is_loopback() {
                return Err(format!(
                    "recipe log: {url} — call logs leave the browser only over https (http is \
                     allowed for this computer only)"
                ));
            }
        }
        if let Some(api) = &self.api {
            api.check()?;
        }
        let selectors = self
            .rows
            .iter()
            .chain(self.next.iter())
            .chain(self.fields.values())
            .chain(self.page.values());
        for selector in selectors {
            let length = selector.chars().count();
            if selector.trim().is_empty() || length > MAX_SELECTOR {
                return Err(format!(
                    "recipe: a selector must have 1 to {MAX_SELECTOR} characters"
                ));
            }
        }
        for name in self.fields.keys().chain(self.page.keys()) {
            if !RECIPE_FIELDS.contains(&name.as_str()) {
                return Err(format!(
                    "recipe: unknown field \"{name}\" (use {})",
                    RECIPE_FIELDS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_recipe_and_a_page_recipe_are_read() {
        let recipe = Recipe::parse(
            r##"{"version":1,"rows":".tile","fields":{"name":".who","mobile":".cell"},
                "page":{"name":"h1","phone":"#main"},"next":"a.more"}"##,
        )
        .unwrap()
        .unwrap();
        assert_eq!(recipe.rows.as_deref(), Some(".tile"));
        assert_eq!(recipe.fields["mobile"], ".cell");
        assert_eq!(recipe.next.as_deref(), Some("a.more"));
        let only_next = Recipe::parse(r#"{"version":1,"next":"[rel=next]"}"#).unwrap();
        assert!(
            only_next.is_some(),
            "a recipe may only teach the way to the next page"
        );
        assert_eq!(Recipe::parse("  ").unwrap(), None);
    }

    #[test]
    fn recipes_that_cannot_be_used_are_refused_with_the_reason() {
        for (text, reason) in [
            (r#"{"version":2,"page":{"name":"h1"}}"#, "version 2"),
            (r#"{"version":1,"rows":".x"}"#, "go together"),
            (r#"{"version":1}"#, "give"),
            (
                r#"{"version":1,"page":{"nickname":"h1"}}"#,
                "unknown field \"nickname\"",
            ),
            (r#"{"version":1,"page":{"name":" "}}"#, "selector"),
            (r#"{"version":1,"next":""}"#, "selector"),
            (
                r#"{"version":1,"page":{"name":"h1"},"script":"x"}"#,
                "unknown field `script`",
            ),
            ("{", "recipe:"),
        ] {
            let err = Recipe::parse(text).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
