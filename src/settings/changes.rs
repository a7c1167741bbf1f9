//! The options page's form applied to the settings as they are when its save gets the settings
//! turn, rather than a whole copy read when the page loaded: a site switched on in the popup or
//! a phone toggle changed since then is kept.

use super::{Settings, SettingsError};
use serde_json::Value;

impl Settings {
    /// These settings with `changes` (in the settings' own JSON layout) applied: objects are
    /// merged key by key, any other value (text, list, `null`) replaces what was there.
    /// Refused whole, with the reason, when the result is invalid.
    pub fn with_changes(&self, changes: &Value) -> Result<Settings, SettingsError> {
        if !changes.is_object() {
            return Err(SettingsError::Unreadable(
                "the changed settings are not an object".into(),
            ));
        }
        let mut all = serde_json::to_value(self).unwrap_or_default();
        merge(&mut all, changes);
        Settings::from_json(&all.to_string())
    }
}

fn merge(into: &mut Value, changes: &Value) {
    match (into, changes) {
        (Value::Object(into), Value::Object(changes)) => {
            for (key, change) in changes {
                match into.get_mut(key) {
                    Some(value) => merge(value, change),
                    None => {
                        into.insert(key.clone(), change.clone());
                    }
                }
            }
        }
        (into, change) => *into = change.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::SitePattern;
    use serde_json::json;

    #[test]
    fn a_forms_fields_change_only_themselves() {
        let mut stored = Settings::default();
        stored.enable_site(SitePattern::parse("https://crm.example.com").unwrap());
        stored.own_numbers = vec!["+16505550100".into()];
        stored.widget.client_id = "kept".into();
        stored
            .widget_toggles
            .insert("openRecordOnRing".into(), json!(false));
        let changes = json!({
            "widget": { "appUrl": "https://apps.ringcentral.com/integration/ringcentral-embeddable/latest/app.html" },
            "services": { "messageLogging": false },
            "ownNumbers": ["+16505550111"],
            "defaultRegion": null,
        });
        let saved = stored.with_changes(&changes).unwrap();
        assert!(
            saved.enables_url("https://crm.example.com/contacts/1"),
            "sites kept"
        );
        assert_eq!(
            saved.widget.client_id, "kept",
            "fields beside the changed one kept"
        );
        assert_eq!(saved.widget_toggles["openRecordOnRing"], json!(false));
        assert!(!saved.services.message_logging);
        assert!(saved.services.call_logging, "switches beside it kept");
        assert_eq!(
            saved.own_numbers,
            vec!["+16505550111".to_owned()],
            "lists replaced"
        );
        assert_eq!(saved.default_region, None);
    }

    #[test]
    fn invalid_changes_are_refused_whole() {
        let stored = Settings::default();
        let bad = json!({ "widget": { "appUrl": "http://crm.test/app" } });
        assert!(stored.with_changes(&bad).is_err());
        assert!(stored.with_changes(&json!([1])).is_err());
    }
}
