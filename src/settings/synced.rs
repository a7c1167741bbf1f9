//! The part of the settings that follows the user to their other browsers (`storage.sync`):
//! how the phone is loaded, the service switches, the phone's own toggles, the company's own
//! numbers and the default region. Small, and the same for the user everywhere.
//!
//! The sites, the all-sites mode and the per-site options stay in this browser: the browser's
//! access to a site is granted per browser, and site options can be large (recipes, lists)
//! and carry a webhook's secrets.

use super::{Settings, SettingsError, SETTINGS_SCHEMA_VERSION};
use serde_json::{Map, Value};

/// The settings keys kept in `storage.sync`.
pub const SYNCED_KEYS: [&str; 5] = [
    "widget",
    "services",
    "widgetToggles",
    "ownNumbers",
    "defaultRegion",
];

impl Settings {
    /// The synced part, as stored in `storage.sync` (with the layout version).
    pub fn synced(&self) -> Value {
        let all = serde_json::to_value(self).unwrap_or_default();
        let mut part = Map::new();
        part.insert("schemaVersion".into(), SETTINGS_SCHEMA_VERSION.into());
        for key in SYNCED_KEYS {
            if let Some(value) = all.get(key) {
                part.insert(key.into(), value.clone());
            }
        }
        Value::Object(part)
    }

    /// These settings with the synced part another browser of the user stored; refused whole
    /// (with the reason) when that part is invalid or from a newer crm-bridge, so a bad or
    /// newer copy never overwrites good settings here.
    pub fn with_synced(&self, synced: &str) -> Result<Settings, SettingsError> {
        let part: Value = serde_json::from_str(synced)
            .map_err(|err| SettingsError::Unreadable(err.to_string()))?;
        let Value::Object(part) = part else {
            return Err(SettingsError::Unreadable(
                "synced settings are not an object".into(),
            ));
        };
        let version = part
            .get("schemaVersion")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if version > u64::from(SETTINGS_SCHEMA_VERSION) {
            return Err(SettingsError::FutureVersion(
                u32::try_from(version).unwrap_or(u32::MAX),
            ));
        }
        let mut all = serde_json::to_value(self).unwrap_or_default();
        let Some(object) = all.as_object_mut() else {
            return Err(SettingsError::Unreadable(
                "settings are not an object".into(),
            ));
        };
        for key in SYNCED_KEYS {
            match part.get(key) {
                Some(value) => object.insert(key.into(), value.clone()),
                None => object.remove(key), // unset there (e.g. no default region): the default
            };
        }
        Settings::from_json(&all.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> Settings {
        Settings::from_json(
            r#"{"sites":["https://crm.example.com"],"defaultRegion":"DE",
                "siteOptions":{"https://crm.example.com":{"webhook":{"url":"https://h.example.com/x","signingSecret":"k"}}},
                "widget":{"clientId":"abc"},"ownNumbers":["+4930123456"]}"#,
        )
        .unwrap()
    }

    #[test]
    fn only_user_level_settings_are_synced() {
        let synced = here().synced();
        assert_eq!(synced["widget"]["clientId"], "abc");
        assert_eq!(synced["ownNumbers"][0], "+4930123456");
        assert_eq!(synced["defaultRegion"], "DE");
        assert_eq!(synced["schemaVersion"], SETTINGS_SCHEMA_VERSION);
        for local in ["sites", "allSites", "siteOptions"] {
            assert!(synced.get(local).is_none(), "{local} stays in this browser");
        }
        // Small enough for storage.sync's 8 KB per item with room to spare.
        assert!(synced.to_string().len() < 2_000);
    }

    #[test]
    fn a_synced_part_replaces_only_its_own_keys() {
        let other = r#"{"schemaVersion":1,"widget":{"clientId":"xyz","appServer":"https://platform.devtest.ringcentral.com"},
                        "ownNumbers":["+16505550100"]}"#;
        let merged = here().with_synced(other).unwrap();
        assert_eq!(merged.widget.client_id, "xyz");
        assert_eq!(merged.own_numbers, ["+16505550100"]);
        assert_eq!(merged.default_region, None, "unset there: unset here");
        assert_eq!(merged.sites, here().sites, "sites stay");
        assert_eq!(
            merged.site_options,
            here().site_options,
            "site options stay"
        );
        // The round trip changes nothing.
        let same = here().with_synced(&here().synced().to_string()).unwrap();
        assert_eq!(same, here());
    }

    #[test]
    fn a_bad_or_newer_synced_part_is_refused_whole() {
        for bad in [
            "not json",
            "[1]",
            r#"{"schemaVersion":99,"widget":{"clientId":"new"}}"#,
            r#"{"widget":{"appUrl":"http://evil.example/app.html"}}"#,
            r#"{"ownNumbers":["call me"]}"#,
        ] {
            assert!(here().with_synced(bad).is_err(), "{bad}");
        }
    }
}
