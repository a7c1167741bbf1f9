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

/// What of a form's values differs from the settings the form showed (`shown`): objects
/// compared key by key, anything else whole. Only these are saved, so a value the form showed
/// but the user left alone (a phone toggle flipped in the phone since) is not written back.
pub fn changed_fields(form: &Value, shown: &Value) -> Value {
    changed(form, shown).unwrap_or_else(|| Value::Object(Default::default()))
}

/// `form` less what equals `shown`; `None` when nothing differs.
fn changed(form: &Value, shown: &Value) -> Option<Value> {
    match (form, shown) {
        (Value::Object(form), Value::Object(shown)) => {
            let fields: serde_json::Map<String, Value> = form
                .iter()
                .filter_map(|(key, value)| {
                    let differs = match shown.get(key) {
                        Some(before) => changed(value, before),
                        None => Some(value.clone()),
                    };
                    differs.map(|value| (key.clone(), value))
                })
                .collect();
            (!fields.is_empty()).then_some(Value::Object(fields))
        }
        (form, shown) => (form != shown).then(|| form.clone()),
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
    fn only_what_the_user_changed_in_the_form_is_saved() {
        let shown = json!({
            "widget": { "appUrl": "https://a.test/app.html", "clientId": "x" },
            "widgetToggles": { "openRecordOnRing": true, "logNotes": true },
            "ownNumbers": ["+16505550100"],
            "defaultRegion": "US",
        });
        let form = json!({
            "widget": { "appUrl": "https://a.test/app.html", "clientId": "y" },
            "widgetToggles": { "openRecordOnRing": true, "logNotes": true },
            "ownNumbers": ["+16505550100", "+16505550111"],
            "defaultRegion": null,
        });
        assert_eq!(
            changed_fields(&form, &shown),
            json!({
                "widget": { "clientId": "y" },
                "ownNumbers": ["+16505550100", "+16505550111"],
                "defaultRegion": null,
            })
        );
        // The phone switched a toggle after the page showed it; the user left it alone.
        let mut stored = Settings::default();
        stored
            .widget_toggles
            .insert("openRecordOnRing".into(), json!(false));
        let saved = stored.with_changes(&changed_fields(&form, &shown)).unwrap();
        assert_eq!(saved.widget_toggles["openRecordOnRing"], json!(false));
        assert_eq!(changed_fields(&shown, &shown), json!({}), "nothing changed");
    }

    #[test]
    fn invalid_changes_are_refused_whole() {
        let stored = Settings::default();
        let bad = json!({ "widget": { "appUrl": "http://crm.test/app" } });
        assert!(stored.with_changes(&bad).is_err());
        assert!(stored.with_changes(&json!([1])).is_err());
    }
}
