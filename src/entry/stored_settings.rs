//! Reading the settings every extension context shares from `storage.local`.

use crate::platform;
use crate::settings::Settings;

/// `storage.local` key of the settings.
pub const SETTINGS_KEY: &str = "settings";

/// The stored settings; when they are missing they are the defaults, and when they cannot be
/// read they are the defaults plus the sentence that says why (for the page to show or log).
pub async fn load_settings() -> (Settings, Option<String>) {
    match platform::storage_local_get(SETTINGS_KEY).await {
        Ok(Some(text)) => match Settings::from_json(&text) {
            Ok(settings) => (settings, None),
            Err(err) => (
                Settings::default(),
                Some(format!("Settings ignored: {err}")),
            ),
        },
        Ok(None) => (Settings::default(), None),
        Err(err) => (
            Settings::default(),
            Some(format!("Settings could not be read: {err:?}")),
        ),
    }
}
