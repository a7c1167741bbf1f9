//! Which sites the user switched crm-bridge on for, reduced to what a browser can grant.
//!
//! A site is typed by a person ("crm.example.com", "https://crm.example.com/app", "*.example.com")
//! or taken from the current tab. It becomes match patterns for `permissions.request` and
//! `scripting.registerContentScripts`. Anything that reaches every site is refused here; the
//! opt-in "all sites" mode is a separate, explicit setting.

use crate::manifest_rules::is_broad_host_pattern;
use crate::url::{is_valid_host, WebUrl};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One enabled site: a host (optionally with all its subdomains) on one scheme.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SitePattern {
    secure: bool,
    host: String,
    subdomains: bool,
}

/// Why a typed site was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteError(String);

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SiteError {}

impl SitePattern {
    /// Reads what a person typed. Without a scheme, https is assumed.
    pub fn parse(input: &str) -> Result<Self, SiteError> {
        let input = input.trim();
        let broad = || {
            SiteError(format!(
                "\"{input}\" would switch crm-bridge on for every site; name one site \
                 (e.g. crm.example.com or *.example.com)"
            ))
        };
        if input.is_empty() {
            return Err(SiteError("type a site, e.g. crm.example.com".into()));
        }
        if input == "*"
            || input == "<all_urls>"
            || is_broad_host_pattern(input) && input.contains("://*")
        {
            return Err(broad());
        }
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("https://{input}")
        };
        let (scheme_part, after) = with_scheme.split_once("://").unwrap_or(("https", ""));
        let (subdomains, rest) = match after.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, after),
        };
        let url = WebUrl::parse(&format!("{scheme_part}://{rest}"))
            .map_err(|err| SiteError(format!("\"{input}\": {err}")))?;
        if subdomains && !url.host().contains('.') {
            return Err(broad());
        }
        if !is_valid_host(url.host()) {
            return Err(SiteError(format!("\"{input}\" has no valid host")));
        }
        Ok(Self {
            secure: url.is_secure(),
            host: url.host().to_owned(),
            subdomains,
        })
    }

    /// The match pattern for permissions and content scripts (any port, any path).
    pub fn match_pattern(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        let star = if self.subdomains { "*." } else { "" };
        format!("{scheme}://{star}{}/*", self.host)
    }
}

impl SitePattern {
    /// The site of a page URL: its exact host, or the host and all its subdomains.
    pub fn for_page(url: &str, subdomains: bool) -> Result<Self, SiteError> {
        let page = WebUrl::parse(url)
            .map_err(|err| SiteError(format!("this page cannot be switched on: {err}")))?;
        let host = page.host();
        if subdomains && !host.contains('.') {
            return Err(SiteError(format!(
                "\"{host}\" has no subdomains to include"
            )));
        }
        Ok(Self {
            secure: page.is_secure(),
            host: host.to_owned(),
            subdomains,
        })
    }

    /// Whether a page URL belongs to this site (any port, any path).
    pub fn matches(&self, url: &WebUrl) -> bool {
        let host = url.host();
        url.is_secure() == self.secure
            && (host == self.host
                || (self.subdomains
                    && host
                        .strip_suffix(self.host.as_str())
                        .is_some_and(|prefix| prefix.ends_with('.'))))
    }
}

impl SitePattern {
    /// Whether the two share a page (same scheme; same host, or one includes the other's
    /// subdomains).
    pub fn overlaps(&self, other: &SitePattern) -> bool {
        let under = |inner: &SitePattern, outer: &SitePattern| {
            outer.subdomains
                && inner
                    .host
                    .strip_suffix(outer.host.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.'))
        };
        self.secure == other.secure
            && (self.host == other.host || under(self, other) || under(other, self))
    }
}

impl fmt::Display for SitePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "https" } else { "http" };
        let star = if self.subdomains { "*." } else { "" };
        write!(f, "{scheme}://{star}{}", self.host)
    }
}

impl TryFrom<String> for SitePattern {
    type Error = SiteError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SitePattern> for String {
    fn from(value: SitePattern) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_hosts_and_subdomains() {
        let exact = SitePattern::parse("crm.example.com").unwrap();
        assert_eq!(exact.match_pattern(), "https://crm.example.com/*");
        let from_tab = SitePattern::parse("http://127.0.0.1:8080/contacts?x=1").unwrap();
        assert_eq!(from_tab.match_pattern(), "http://127.0.0.1/*");
        let all = SitePattern::parse("*.Example.com").unwrap();
        assert_eq!(all.match_pattern(), "https://*.example.com/*");
        assert_eq!(all.to_string(), "https://*.example.com");
    }

    #[test]
    fn refuses_everything_patterns() {
        for input in [
            "*",
            "<all_urls>",
            "http://*/*",
            "*://*/*",
            "*.com",
            "https://*.com",
            "",
        ] {
            assert!(SitePattern::parse(input).is_err(), "{input}");
        }
        assert!(SitePattern::parse("ftp://x.com").is_err());
    }

    #[test]
    fn a_page_gives_its_site() {
        let exact = SitePattern::for_page("https://crm.example.com/contacts/1?x", false).unwrap();
        assert_eq!(exact.match_pattern(), "https://crm.example.com/*");
        let all = SitePattern::for_page("https://crm.example.com/", true).unwrap();
        assert_eq!(all.match_pattern(), "https://*.crm.example.com/*");
        assert!(SitePattern::for_page("chrome://extensions", false).is_err());
        assert!(SitePattern::for_page("http://localhost/", true).is_err());
    }

    #[test]
    fn page_urls_match_their_site_only() {
        let url = |u: &str| WebUrl::parse(u).unwrap();
        let exact = SitePattern::parse("http://127.0.0.1").unwrap();
        assert!(exact.matches(&url("http://127.0.0.1:4000/contacts")));
        assert!(
            !exact.matches(&url("https://127.0.0.1/contacts")),
            "scheme differs"
        );
        assert!(!exact.matches(&url("http://localhost:4000/")));
        let all = SitePattern::parse("*.example.com").unwrap();
        assert!(all.matches(&url("https://crm.example.com/x")));
        assert!(all.matches(&url("https://example.com/")));
        assert!(!all.matches(&url("https://badexample.com/")));
        assert!(!all.matches(&url("https://example.com.evil.test/")));
    }

    #[test]
    fn overlapping_sites() {
        let site = |s: &str| SitePattern::parse(s).unwrap();
        assert!(site("crm.example.com").overlaps(&site("crm.example.com")));
        assert!(site("*.example.com").overlaps(&site("crm.example.com")));
        assert!(site("crm.example.com").overlaps(&site("*.example.com")));
        assert!(!site("crm.example.com").overlaps(&site("http://crm.example.com")));
        assert!(!site("crm.example.com").overlaps(&site("mail.example.com")));
        assert!(!site("*.crm.example.com").overlaps(&site("example.com")));
    }

    #[test]
    fn serialises_as_its_normal_form() {
        let site: SitePattern = serde_json::from_str(r#""Crm.Example.com""#).unwrap();
        assert_eq!(
            serde_json::to_string(&site).unwrap(),
            r#""https://crm.example.com""#
        );
        assert!(serde_json::from_str::<SitePattern>(r#""*""#).is_err());
    }
}
