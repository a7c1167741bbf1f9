//! Derives each browser's manifest from the one source `manifest.json`.

use serde_json::{json, Value};

/// The browsers we ship to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Chrome, Edge and other Chromium browsers: MV3 service worker.
    Chrome,
    /// Firefox: MV3 event page (`background.scripts`), Gecko settings.
    Firefox,
}

impl Browser {
    /// Both, in packaging order.
    pub const ALL: [Browser; 2] = [Browser::Chrome, Browser::Firefox];

    /// `chrome` or `firefox`: folder and archive names.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Firefox => "firefox",
        }
    }

    /// Reads a browser name from the command line.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "chrome" | "chromium" => Ok(Browser::Chrome),
            "firefox" => Ok(Browser::Firefox),
            other => Err(format!("unknown browser \"{other}\" (chrome or firefox)")),
        }
    }
}

/// The manifest for one browser, with the crate version.
pub fn for_browser(source: &Value, browser: Browser, version: &str) -> Value {
    let mut manifest = source.clone();
    let object = manifest.as_object_mut().expect("checked by build.rs");
    object.insert("version".into(), json!(version));
    let worker = source["background"]["service_worker"].clone();
    match browser {
        Browser::Chrome => {
            // Chrome warns about keys it does not know; Gecko settings are Firefox's alone.
            object.remove("browser_specific_settings");
        }
        Browser::Firefox => {
            // Firefox MV3 runs the background as an event page: a module script, not a worker.
            object.insert(
                "background".into(),
                json!({ "scripts": [worker], "type": "module" }),
            );
            // Firefox has a sidebar where Chrome has a side panel (and no `sidePanel` permission).
            if let Some(panel) = object.remove("side_panel") {
                object.insert(
                    "sidebar_action".into(),
                    json!({
                        "default_panel": panel["default_path"],
                        "default_title": "__MSG_extensionShortName__",
                        "default_icon": "icons/icon-32.png",
                    }),
                );
            }
            if let Some(Value::Array(permissions)) = object.get_mut("permissions") {
                // No offscreen documents either: its event page parses HTML itself.
                permissions.retain(|p| p != "sidePanel" && p != "offscreen");
            }
            // Firefox has no dynamic URLs (and warns about the key); its extension origin is
            // a random id per installation already, so a site cannot probe for it.
            if let Some(Value::Array(resources)) = object.get_mut("web_accessible_resources") {
                for entry in resources.iter_mut().filter_map(Value::as_object_mut) {
                    entry.remove("use_dynamic_url");
                }
            }
        }
    }
    manifest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Value {
        serde_json::from_str(include_str!("../../manifest.json")).unwrap()
    }

    #[test]
    fn chrome_gets_a_service_worker_and_no_gecko_keys() {
        let manifest = for_browser(&source(), Browser::Chrome, "1.2.3");
        assert_eq!(manifest["version"], "1.2.3");
        assert_eq!(manifest["background"]["service_worker"], "background.js");
        assert_eq!(manifest["background"]["type"], "module");
        assert!(manifest.get("browser_specific_settings").is_none());
    }

    #[test]
    fn only_chrome_gets_dynamic_urls_for_the_widget_host() {
        let dynamic = |browser| {
            for_browser(&source(), browser, "1.0.0")["web_accessible_resources"][0]
                ["use_dynamic_url"]
                .clone()
        };
        assert_eq!(dynamic(Browser::Chrome), json!(true));
        assert_eq!(dynamic(Browser::Firefox), Value::Null);
    }

    #[test]
    fn firefox_gets_an_event_page_and_gecko_keys() {
        let manifest = for_browser(&source(), Browser::Firefox, "1.2.3");
        assert_eq!(
            manifest["background"],
            json!({"scripts": ["background.js"], "type": "module"})
        );
        assert!(manifest["browser_specific_settings"]["gecko"]["id"].is_string());
        assert_eq!(manifest["sidebar_action"]["default_panel"], "panel.html");
        assert!(manifest.get("side_panel").is_none());
        assert!(!manifest["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("sidePanel")));
        assert!(!manifest["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("offscreen")));
    }

    #[test]
    fn chrome_keeps_its_side_panel() {
        let manifest = for_browser(&source(), Browser::Chrome, "1.2.3");
        assert_eq!(manifest["side_panel"]["default_path"], "panel.html");
        assert!(manifest.get("sidebar_action").is_none());
    }
}
