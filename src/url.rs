//! A small, strict web-URL reader for the URLs users type (widget app, sites).
//!
//! It accepts only plain `http(s)://host[:port][/…]` with an ASCII host (IDNs in punycode) and
//! refuses everything odd — credentials, whitespace, other schemes — instead of guessing. That is
//! all the extension needs, and it keeps a full URL crate (and its Unicode tables) out of the Wasm.

use std::fmt;

/// An absolute `http:` or `https:` URL, normalised (lower-case scheme and host, default port
/// dropped) the way browsers serialise origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    secure: bool,
    host: String,
    port: Option<u16>,
    rest: String,
}

/// Why a string is not a usable web URL; each variant reads as advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Nothing was typed.
    Empty,
    /// Spaces or control characters inside.
    Whitespace,
    /// No `scheme://` prefix.
    NotAbsolute,
    /// A scheme other than http or https.
    Scheme(String),
    /// `user:password@` in the URL.
    Credentials,
    /// The host is empty or has characters a host cannot have.
    Host(String),
    /// The port is not a number from 1 to 65535.
    Port(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => write!(f, "the URL is empty"),
            UrlError::Whitespace => write!(f, "the URL contains spaces or control characters"),
            UrlError::NotAbsolute => {
                write!(
                    f,
                    "the URL must start with https:// (or http:// for a local test server)"
                )
            }
            UrlError::Scheme(scheme) => {
                write!(f, "\"{scheme}:\" URLs are not allowed; use https://")
            }
            UrlError::Credentials => write!(f, "the URL must not contain a user name or password"),
            UrlError::Host(host) => write!(f, "\"{host}\" is not a valid host name"),
            UrlError::Port(port) => write!(f, "\"{port}\" is not a valid port"),
        }
    }
}

impl std::error::Error for UrlError {}

impl WebUrl {
    /// Reads an absolute http(s) URL.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::Whitespace);
        }
        let (scheme, after) = input.split_once("://").ok_or(UrlError::NotAbsolute)?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::Credentials);
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (authority, None),
        };
        let host = host.to_ascii_lowercase();
        if !is_valid_host(&host) {
            return Err(UrlError::Host(host));
        }
        let default_port = if secure { 443 } else { 80 };
        Ok(Self {
            secure,
            host,
            port: port.filter(|&p| p != default_port),
            rest: rest.to_owned(),
        })
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.secure {
            "https"
        } else {
            "http"
        }
    }

    /// The lower-case host name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the host is this machine, where plain http is acceptable for development.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host == "127.0.0.1"
    }

    /// Whether the scheme is https.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// `scheme://host[:port]`, as `MessageEvent.origin` spells it.
    pub fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.scheme(), self.host),
            None => format!("{}://{}", self.scheme(), self.host),
        }
    }

    /// Path, query and fragment as given (may be empty).
    pub fn rest(&self) -> &str {
        &self.rest
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.rest)
    }
}

fn parse_port(text: &str) -> Result<u16, UrlError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ => Err(UrlError::Port(text.to_owned())),
    }
}

/// DNS-style host: dot-separated labels of letters, digits and inner hyphens.
pub(crate) fn is_valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `encodeURIComponent`, for query values we append to URLs.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_a_browser_origin() {
        let url = WebUrl::parse(" HTTPS://Apps.RingCentral.com:443/a/app.html?x=1 ").unwrap();
        assert_eq!(url.origin(), "https://apps.ringcentral.com");
        assert_eq!(
            url.to_string(),
            "https://apps.ringcentral.com/a/app.html?x=1"
        );
        let local = WebUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(local.origin(), "http://127.0.0.1:8080");
        assert!(local.is_loopback());
    }

    #[test]
    fn refuses_what_is_not_a_plain_web_url() {
        assert_eq!(WebUrl::parse(""), Err(UrlError::Empty));
        assert_eq!(
            WebUrl::parse("apps.ringcentral.com"),
            Err(UrlError::NotAbsolute)
        );
        assert_eq!(
            WebUrl::parse("javascript://x"),
            Err(UrlError::Scheme("javascript".into()))
        );
        assert_eq!(WebUrl::parse("https://a b.com"), Err(UrlError::Whitespace));
        assert_eq!(
            WebUrl::parse("https://u:p@x.com"),
            Err(UrlError::Credentials)
        );
        assert_eq!(
            WebUrl::parse("https://x.com:99999"),
            Err(UrlError::Port("99999".into()))
        );
        assert_eq!(
            WebUrl::parse("https://x.com:+80"),
            Err(UrlError::Port("+80".into()))
        );
        assert!(matches!(
            WebUrl::parse("https://-x.com"),
            Err(UrlError::Host(_))
        ));
        assert!(matches!(
            WebUrl::parse("https://*.x.com"),
            Err(UrlError::Host(_))
        ));
        assert!(matches!(
            WebUrl::parse("https:///path"),
            Err(UrlError::Host(_))
        ));
    }

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(encode_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode_component("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
    }
}
