//! The webhook destination: what a site's admin configures, the body we POST and its headers.
//!
//! The body is documented in `docs/logging.md`. Each request carries `Idempotency-Key` (the
//! same for every retry of one entry revision) and, when a signing secret is set,
//! `X-Crm-Bridge-Signature: sha256=<hex HMAC-SHA256 of the body>`, so the receiver can drop
//! retries it already has and refuse requests that did not come from us.

use super::entry::JournalEntry;
use crate::url::WebUrl;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

/// The body's format version.
pub const PAYLOAD_VERSION: u32 = 1;
/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Crm-Bridge-Signature";

/// A site's webhook, as configured in the options page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Webhook {
    /// Where entries are POSTed (https; http only for this computer).
    pub url: String,
    /// An extra header (e.g. `Authorization`), empty for none.
    pub header_name: String,
    /// Its value (e.g. `Bearer …`).
    pub header_value: String,
    /// The HMAC-SHA256 key for the signature header, empty for no signature.
    pub signing_secret: String,
}

/// Headers a page may not set (the browser owns them) or that would confuse the receiver.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "cookie",
    "origin",
    "referer",
    "connection",
    "idempotency-key",
    "x-crm-bridge-signature",
    "x-crm-bridge-event",
];

impl Webhook {
    /// The configuration if it is usable, else why not (shown next to the field).
    pub fn validated(self) -> Result<Self, String> {
        let url = WebUrl::parse(self.url.trim())
            .map_err(|_| format!("webhook URL refused: {}", self.url.trim()))?;
        let text = url.to_string();
        if !url.is_secure() && !url.is_loopback() {
            return Err(format!(
                "webhook URL refused: {text} — call logs leave the browser only over https \
                 (http is allowed for this computer only)"
            ));
        }
        let name = self.header_name.trim();
        let header_ok = name.is_empty()
            || (name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
                && !RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
        if !header_ok {
            return Err(format!("webhook header name refused: {name}"));
        }
        if self.header_value.contains(['\r', '\n']) || self.header_value.len() > 4_096 {
            return Err("webhook header value refused: one line, at most 4,096 characters".into());
        }
        if name.is_empty() != self.header_value.trim().is_empty() {
            return Err("webhook header: give both its name and its value, or neither".into());
        }
        Ok(Self {
            url: text,
            header_name: name.to_owned(),
            header_value: self.header_value.trim().to_owned(),
            signing_secret: self.signing_secret,
        })
    }

    /// The origin the extension needs permission for, to POST to it.
    pub fn origin_pattern(&self) -> Option<String> {
        let url = WebUrl::parse(&self.url).ok()?;
        Some(format!("{}://{}/*", url.scheme(), url.host()))
    }

    /// The request headers for a delivery with `body` and `idempotency_key`.
    pub fn headers(&self, body: &str, idempotency_key: &str, event: &str) -> Vec<(String, String)> {
        let mut headers = delivery_headers(idempotency_key, event);
        if !self.signing_secret.is_empty() {
            headers.push((
                SIGNATURE_HEADER.into(),
                format!("sha256={}", sign(&self.signing_secret, body)),
            ));
        }
        if !self.header_name.is_empty() {
            headers.push((self.header_name.clone(), self.header_value.clone()));
        }
        headers
    }
}

/// The headers of every delivery, to a webhook or a CRM endpoint: the JSON body's type, its
/// idempotency key (the same for every retry of one entry revision) and its event.
pub fn delivery_headers(idempotency_key: &str, event: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("Idempotency-Key".into(), idempotency_key.to_owned()),
        ("X-Crm-Bridge-Event".into(), event.to_owned()),
    ]
}

/// The JSON body for one entry revision (documented in `docs/logging.md`).
pub fn payload(entry: &JournalEntry, idempotency_key: &str) -> String {
    json!({
        "version": PAYLOAD_VERSION,
        "event": entry.event(),
        "idempotencyKey": idempotency_key,
        "subject": entry.subject(),
        "entry": entry,
    })
    .to_string()
}

/// Hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> Webhook {
        Webhook {
            url: url.into(),
            ..Webhook::default()
        }
    }

    #[test]
    fn the_signature_is_standard_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn logs_leave_only_over_https_or_to_this_computer() {
        assert!(hook("https://hooks.example.com/crm").validated().is_ok());
        assert!(hook("http://127.0.0.1:8080/hook").validated().is_ok());
        assert!(hook("http://localhost/hook").validated().is_ok());
        for bad in [
            "http://hooks.example.com/",
            "javascript:alert(1)",
            "ftp://x/",
            "not a url",
            "",
        ] {
            assert!(hook(bad).validated().is_err(), "{bad}");
        }
        assert_eq!(
            hook("https://hooks.example.com:8443/a")
                .origin_pattern()
                .as_deref(),
            Some("https://hooks.example.com/*")
        );
    }

    #[test]
    fn the_extra_header_is_checked() {
        let with = |name: &str, value: &str| Webhook {
            header_name: name.into(),
            header_value: value.into(),
            ..hook("https://h.example/")
        };
        assert!(with("Authorization", "Bearer abc").validated().is_ok());
        assert!(with("Content-Type", "text/plain").validated().is_err());
        assert!(with("X Bad", "v").validated().is_err());
        assert!(with("X-Token", "a\r\nInjected: 1").validated().is_err());
        assert!(with("X-Token", "").validated().is_err());
    }

    #[test]
    fn headers_carry_the_key_the_signature_and_the_extra_header() {
        let webhook = Webhook {
            header_name: "Authorization".into(),
            header_value: "Bearer abc".into(),
            signing_secret: "s3cret".into(),
            ..hook("https://h.example/")
        };
        let headers = webhook.headers("{}", "crm-bridge:call:1@1", "call.logged");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Idempotency-Key"), Some("crm-bridge:call:1@1"));
        assert_eq!(
            get(SIGNATURE_HEADER),
            Some(format!("sha256={}", sign("s3cret", "{}")).as_str())
        );
        assert_eq!(get("Authorization"), Some("Bearer abc"));
        assert!(hook("https://h.example/")
            .headers("{}", "k", "e")
            .iter()
            .all(|(n, _)| n != SIGNATURE_HEADER));
    }
}
