//! What the options page's diagnostics section shows: the versions in play and the recent
//! errors of the background, so a user (or their admin) can tell what went wrong without
//! opening the browser's developer tools.
//!
//! Errors are kept bounded and folded: the same sentence again raises its count and moves it
//! to the top instead of pushing older errors out, so one failure repeating every few seconds
//! cannot flood the list.

use crate::logging::journal_view::iso_time;
use crate::protocol::bridge::WorkerTimings;
use crate::settings::secrets::redacted_url;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// Distinct errors kept (oldest dropped first).
pub const KEPT_ERRORS: usize = 50;
/// Bytes of an error's text kept; longer texts are cut at a character boundary.
pub const MAX_ERROR_BYTES: usize = 600;

/// One error sentence and when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedError {
    /// The sentence (as logged to the console too).
    pub message: String,
    /// First time it was seen (ms since the epoch).
    pub first: f64,
    /// Last time it was seen.
    pub last: f64,
    /// How often it was seen.
    pub count: u32,
}

/// The background's recent errors, newest last.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecentErrors(Vec<RecordedError>);

impl RecentErrors {
    /// Reads what an earlier worker kept; anything unreadable starts an empty list (the
    /// diagnostics must never be the thing that fails).
    pub fn from_json(text: &str) -> Self {
        let mut errors: Self = serde_json::from_str(text).unwrap_or_default();
        errors.trim();
        errors
    }

    /// Records one occurrence of `message` at `now_ms`.
    pub fn record(&mut self, message: &str, now_ms: f64) {
        let message = cut(message.trim(), MAX_ERROR_BYTES);
        let seen = match self.0.iter().position(|e| e.message == message) {
            Some(index) => {
                let mut seen = self.0.remove(index);
                seen.count = seen.count.saturating_add(1);
                seen.last = now_ms;
                seen
            }
            None => RecordedError {
                message: message.to_owned(),
                first: now_ms,
                last: now_ms,
                count: 1,
            },
        };
        self.0.push(seen);
        self.trim();
    }

    /// Puts errors recorded by an earlier worker (`older`) under the ones this worker recorded
    /// before it read them, folding the same sentences.
    pub fn merge_older(&mut self, older: RecentErrors) {
        let newer = std::mem::replace(&mut self.0, older.0);
        for error in newer {
            match self.0.iter().position(|e| e.message == error.message) {
                Some(index) => {
                    let mut seen = self.0.remove(index);
                    seen.count = seen.count.saturating_add(error.count);
                    seen.last = error.last;
                    self.0.push(seen);
                }
                None => self.0.push(error),
            }
        }
        self.trim();
    }

    /// The errors, newest first.
    pub fn newest_first(&self) -> Vec<RecordedError> {
        self.0.iter().rev().cloned().collect()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(&mut self) {
        let extra = self.0.len().saturating_sub(KEPT_ERRORS);
        self.0.drain(..extra);
    }
}

/// The background's side of the diagnostics section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct About {
    /// The extension's version.
    pub version: String,
    /// The settings layout this build reads and writes.
    pub settings_schema: u32,
    /// The IndexedDB layout this build opens.
    pub database_version: u32,
    /// The running worker instance.
    pub worker: WorkerTimings,
    /// Recent errors, newest first.
    pub errors: Vec<RecordedError>,
}

/// What stands in for a secret or a customer's number in a support report.
pub use crate::settings::secrets::HIDDEN;

/// A report a user can send to support: the versions, the recent errors and the settings
/// without secrets (webhook header values, signing secrets, tokens in addresses) or customers'
/// numbers (the do-not-contact lists keep their length only). No contacts, no logs.
pub fn support_report(
    about: &About,
    settings: &Settings,
    browser: &str,
    now_ms: f64,
) -> serde_json::Value {
    serde_json::json!({
        "report": "crm-bridge diagnostics",
        "created": iso_time(now_ms), // UTC
        "browser": browser,
        "about": about,
        "settings": without_secrets(settings),
    })
}

/// `settings` with every secret and customer number replaced by [`HIDDEN`].
pub fn without_secrets(settings: &Settings) -> Settings {
    let hide = |value: &mut String| {
        if !value.is_empty() {
            *value = HIDDEN.to_owned();
        }
    };
    let mut settings = settings.clone();
    let widget = &mut settings.widget;
    for url in [
        &mut widget.app_url,
        &mut widget.app_server,
        &mut widget.redirect_uri,
    ] {
        *url = redacted_url(url);
    }
    for options in settings.site_options.values_mut() {
        if let Some(webhook) = &mut options.webhook {
            webhook.url = redacted_url(&webhook.url);
            hide(&mut webhook.header_value);
            hide(&mut webhook.signing_secret);
        }
        for entry in &mut options.do_not_contact.entries {
            hide(&mut entry.number);
            hide(&mut entry.reason);
        }
    }
    settings
}

/// `text` cut to at most `max` bytes at a character boundary, marked with "…" when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(errors: &RecentErrors) -> Vec<(String, u32)> {
        errors
            .newest_first()
            .into_iter()
            .map(|e| (e.message, e.count))
            .collect()
    }

    #[test]
    fn the_same_error_again_is_counted_and_moves_to_the_top() {
        let mut errors = RecentErrors::default();
        errors.record("store closed", 1.0);
        errors.record("webhook refused", 2.0);
        errors.record(" store closed ", 3.0);
        assert_eq!(
            messages(&errors),
            [("store closed".into(), 2), ("webhook refused".into(), 1)]
        );
        let top = &errors.newest_first()[0];
        assert_eq!((top.first, top.last), (1.0, 3.0));
    }

    #[test]
    fn a_flood_keeps_the_list_bounded_and_the_newest() {
        let mut errors = RecentErrors::default();
        for i in 0..500 {
            errors.record(&format!("error {i}"), f64::from(i));
        }
        let kept = errors.newest_first();
        assert_eq!(kept.len(), KEPT_ERRORS);
        assert_eq!(kept[0].message, "error 499");
        assert_eq!(kept[KEPT_ERRORS - 1].message, "error 450");
    }

    #[test]
    fn long_texts_are_cut_at_a_character_boundary() {
        let mut errors = RecentErrors::default();
        errors.record(&"ß".repeat(1000), 1.0);
        let kept = &errors.newest_first()[0].message;
        assert!(kept.len() <= MAX_ERROR_BYTES + '…'.len_utf8());
        assert!(kept.ends_with('…'));
    }

    #[test]
    fn errors_of_an_earlier_worker_go_under_this_ones() {
        let mut older = RecentErrors::default();
        older.record("a", 1.0);
        older.record("b", 2.0);
        let mut now = RecentErrors::default();
        now.record("c", 3.0);
        now.record("a", 4.0);
        now.merge_older(older);
        assert_eq!(
            messages(&now),
            [("a".into(), 2), ("c".into(), 1), ("b".into(), 1)]
        );
    }

    #[test]
    fn a_support_report_leaves_secrets_and_customer_numbers_out() {
        let settings = Settings::from_json(
            r#"{"sites":["https://crm.example.com"],
                "widget":{"appUrl":"https://w.example/app.html?clientId=pub&clientSecret=cl13nt-s3cret&jwt=eyJ.a.b"},
                "siteOptions":{"https://crm.example.com":{
                "webhook":{"url":"https://hooks.example.com/in/Zx81kq0PpAa?key=abc123","headerName":"Authorization",
                           "headerValue":"Bearer s3cr3t-token","signingSecret":"hmac-k3y"},
                "doNotContact":{"restrict":true,"entries":[{"number":"+4930123456","reason":"asked us"}]}}}}"#,
        )
        .unwrap();
        let about = About {
            version: "1.2.3".into(),
            settings_schema: 1,
            database_version: 2,
            worker: WorkerTimings::default(),
            errors: Vec::new(),
        };
        let report = support_report(&about, &settings, "Chromium 142", 0.0).to_string();
        for secret in [
            "s3cr3t-token",
            "hmac-k3y",
            "+4930123456",
            "asked us",
            "Zx81kq0PpAa",
            "abc123",
            "cl13nt-s3cret",
            "eyJ",
        ] {
            assert!(!report.contains(secret), "{secret} leaked: {report}");
        }
        for kept in [
            "hooks.example.com",
            "Authorization",
            "1.2.3",
            "Chromium 142",
            HIDDEN,
        ] {
            assert!(report.contains(kept), "{kept} missing: {report}");
        }
        assert!(report.contains(r#""created":"1970-01-01 00:00:00""#));
        // An empty secret stays empty: the report says what is not set.
        let mut plain = settings.clone();
        plain
            .site_options
            .values_mut()
            .for_each(|o| o.webhook.as_mut().unwrap().signing_secret.clear());
        let hook = without_secrets(&plain)
            .site_options
            .into_values()
            .next()
            .unwrap();
        assert_eq!(hook.webhook.unwrap().signing_secret, "");
    }

    #[test]
    fn unreadable_storage_starts_empty() {
        assert!(RecentErrors::from_json("{not json").is_empty());
        assert!(RecentErrors::from_json(r#"[{"message":1}]"#).is_empty());
        let mut errors = RecentErrors::default();
        errors.record("x", 1.0);
        let text = serde_json::to_string(&errors).unwrap();
        assert_eq!(RecentErrors::from_json(&text), errors);
    }
}
