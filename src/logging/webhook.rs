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
    /// The user confirmed that the URL's host is on their own network (a private, link-local
    /// or local-name address is refused without it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub private_network: bool,
}

/// Headers that would confuse the receiver (we set them ourselves), besides those the browser
/// owns ([`FORBIDDEN_HEADERS`]).
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "idempotency-key",
    "x-crm-bridge-signature",
    "x-crm-bridge-event",
];

/// The Fetch standard's forbidden request-header names: a `fetch` with one of them never
/// leaves the browser (or the browser drops the header), so every delivery would fail or
/// arrive without it. `X-HTTP-Method*` are forbidden there for some values; refused here whole.
const FORBIDDEN_HEADERS: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-http-method",
    "x-http-method-override",
    "x-method-override",
];

/// Why a header name cannot be sent, if it cannot: a token (RFC 9110) of at most 64
/// characters, not forbidden by the Fetch standard (nor `Proxy-*`, `Sec-*`), not one of ours.
pub fn header_name_problem(name: &str) -> Option<String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || name.len() > 64 || !name.bytes().all(token) {
        return Some(format!(
            "webhook header name refused: \"{}\" — letters, digits and - only, at most 64",
            name.chars().take(80).collect::<String>()
        ));
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str())
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
    {
        return Some(format!(
            "webhook header name refused: {name} — browsers do not let extensions send it"
        ));
    }
    if RESERVED_HEADERS.contains(&lower.as_str()) {
        return Some(format!(
            "webhook header name refused: {name} — crm-bridge sets it itself"
        ));
    }
    None
}

/// Why a header value cannot be sent, if it cannot: one line of at most 4,096 characters, no
/// NUL, each character in Latin-1 (the Fetch standard's byte strings; `fetch` throws on others).
pub fn header_value_problem(value: &str) -> Option<String> {
    if value.contains(['\r', '\n', '\0']) || value.chars().count() > 4_096 {
        return Some(
            "webhook header value refused: one line, no NUL, at most 4,096 characters".into(),
        );
    }
    if let Some(c) = value.chars().find(|c| u32::from(*c) > 0xFF) {
        return Some(format!(
            "webhook header value refused: \"{c}\" cannot be sent in a header (Latin-1 only; \
             encode it, e.g. as Base64)"
        ));
    }
    None
}

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
        if let Some(kind) = crate::network_address::private_host_kind(url.host()) {
            if !self.private_network {
                return Err(format!(
                    "webhook URL needs your confirmation: {} is {kind}, not a public log \
                     receiver; tick \"On my own network\" if you trust it",
                    url.host()
                ));
            }
        }
        let name = self.header_name.trim();
        // HTTP whitespace only (tab, space), as the Fetch standard normalises a value.
        let value = self.header_value.trim_matches([' ', '\t']);
        if let Some(problem) = (!name.is_empty())
            .then(|| header_name_problem(name))
            .flatten()
        {
            return Err(problem);
        }
        if let Some(problem) = header_value_problem(value) {
            return Err(problem);
        }
        if name.is_empty() != value.is_empty() {
            return Err("webhook header: give both its name and its value, or neither".into());
        }
        Ok(Self {
            url: text,
            header_name: name.to_owned(),
            header_value: value.to_owned(),
            signing_secret: self.signing_secret,
            private_network: self.private_network
                && crate::network_address::private_host_kind(url.host()).is_some(),
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
    fn a_private_network_url_needs_the_users_confirmation() {
        for url in [
            "https://169.254.169.254/latest/meta-data",
            "https://2852039166/",
            "https://10.1.2.3/hook",
            "https://metadata.google.internal/computeMetadata/v1/",
        ] {
            let refused = hook(url).validated().unwrap_err();
            assert!(refused.contains("confirmation"), "{url}: {refused}");
        }
        let confirmed = Webhook {
            private_network: true,
            ..hook("https://10.1.2.3/hook")
        };
        assert!(confirmed.validated().unwrap().private_network);
        let public = Webhook {
            private_network: true,
            ..hook("https://hooks.example.com/in")
        };
        assert!(
            !public.validated().unwrap().private_network,
            "the confirmation is kept only where it is needed"
        );
        assert!(
            hook("http://127.0.0.1:8080/hook").validated().is_ok(),
            "this computer"
        );
    }

    #[test]
    fn headers_the_fetch_standard_forbids_are_refused_at_save() {
        let with = |name: &str, value: &str| Webhook {
            header_name: name.into(),
            header_value: value.into(),
            ..hook("https://h.example/")
        };
        for name in [
            "Proxy-Authorization",
            "Keep-Alive",
            "Expect",
            "Sec-Fetch-Mode",
            "sec-anything",
            "Cookie",
            "Host",
            "TE",
            "X-HTTP-Method-Override",
            "X-Crm-Bridge-Event",
            "Bad:Name",
            "Ünïcode",
        ] {
            let refused = with(name, "v").validated();
            assert!(refused.is_err(), "{name}");
        }
        for value in ["a\0b", "Bearer 🙂", "Bearer 名前", &"x".repeat(4_097)] {
            assert!(with("Authorization", value).validated().is_err(), "{value}");
        }
        for (name, value) in [
            ("Authorization", "Bearer abc"),
            ("X-Api_Key", "café"),
            ("X-Token", "\t spaced \t"),
        ] {
            assert!(with(name, value).validated().is_ok(), "{name}: {value}");
        }
        assert_eq!(
            with("X-Token", "\t spaced \t")
                .validated()
                .unwrap()
                .header_value,
            "spaced"
        );
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
