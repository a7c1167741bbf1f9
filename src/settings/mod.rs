//! The user's settings: typed defaults, a schema version and validation.
//!
//! Settings arrive from the options page, from an admin or test preset (`preset.json`, see
//! README "Automation"), or from an imported file; all pass through [`Settings::from_json`], so a
//! bad value is refused with a sentence and the previous settings stay untouched.

pub mod changes;
pub mod limits;
pub mod recipe;
pub mod secrets;
pub mod site_options;
pub mod synced;

use crate::sites::SitePattern;
use crate::url::{encode_component, WebUrl};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use site_options::SiteOptions;
use std::collections::BTreeMap;
use std::fmt;

/// The settings layout this build reads and writes.
pub const SETTINGS_SCHEMA_VERSION: u32 = 1;

/// The hosted RingCentral Embeddable app (protocol.md §1.1).
pub const DEFAULT_WIDGET_URL: &str =
    "https://apps.ringcentral.com/integration/ringcentral-embeddable/latest/app.html";

/// Everything the user can configure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Layout version; a file from a newer build is refused rather than half-read.
    pub schema_version: u32,
    /// How the phone widget is loaded.
    pub widget: WidgetSettings,
    /// Sites the user switched on.
    pub sites: Vec<SitePattern>,
    /// The opt-in "every site except …" mode.
    pub all_sites: AllSites,
    /// Which parts of the service are registered in the widget.
    pub services: ServiceSwitches,
    /// Values the user set for our items in the widget's own settings (item id → value).
    pub widget_toggles: BTreeMap<String, Value>,
    /// Do-not-contact lists and call-log forms, by site (its pattern as text).
    pub site_options: BTreeMap<SitePattern, SiteOptions>,
    /// The user's company's own numbers (main line, extensions): never matched to a contact,
    /// so a colleague calling is not shown as the customer whose record lists the main line.
    pub own_numbers: Vec<String>,
    /// The region of numbers a page writes without a country code, when the page itself says
    /// nothing about the contact's country (ISO 3166 alpha-2, e.g. `DE`); unset, discovery
    /// guesses from the page's and the browser's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// Pages a bulk import asks a CRM for per second (0.1 to 10; the default is gentle).
    pub import_requests_per_second: f64,
    /// How many contacts discovery may keep from pages (caps and a rate; README "Limits").
    pub limits: limits::LearningLimits,
}

/// Why crm-bridge is on for a page: the site it belongs to, listed or through the all-sites
/// mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnabledBy {
    /// The enabled site (its contacts and logs are kept under it).
    pub site: SitePattern,
    /// Switched on one by one (not only through the all-sites mode).
    pub listed: bool,
}

/// The opt-in mode for teams that want the phone everywhere: crm-bridge runs on every http(s)
/// site except the listed ones. Off by default; the browser is asked for access to all sites
/// only when the user turns it on (and it is given back when they turn it off).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AllSites {
    /// Whether the mode is on.
    pub on: bool,
    /// Sites it never runs on (unless switched on one by one, which lists them in `sites`).
    pub except: Vec<SitePattern>,
}

/// What switching a page off took off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwitchedOff {
    /// The listed site it belonged to (its grant can be given back).
    pub listed: Option<SitePattern>,
    /// Its host, now an exception of the all-sites mode.
    pub excepted: Option<SitePattern>,
}

/// The match patterns the all-sites mode needs the browser's access to.
pub const ALL_SITES_PATTERNS: [&str; 2] = ["https://*/*", "http://*/*"];

impl AllSites {
    /// Reads the options page's exception list: one site per line, blank lines ignored;
    /// refused whole, naming the line, when one is not a site.
    pub fn parse_except(text: &str) -> Result<Vec<SitePattern>, String> {
        let mut except = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let site =
                SitePattern::parse(line).map_err(|err| format!("line {}: {err}", number + 1))?;
            if !except.contains(&site) {
                except.push(site);
            }
        }
        Ok(except)
    }

    /// Whether the mode covers this page (on, and not on an excepted site).
    pub fn covers(&self, url: &WebUrl) -> bool {
        self.on && !self.except.iter().any(|site| site.matches(url))
    }
}

/// Parts of the third-party service the user can switch off; an off part is not registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceSwitches {
    /// Contact sync, search, caller matching and "view contact".
    pub contacts: bool,
    /// A contact's logged calls and messages.
    pub activities: bool,
    /// Call logging and "is this call logged".
    pub call_logging: bool,
    /// Message logging and "is this conversation logged".
    pub message_logging: bool,
    /// The pre-call / pre-SMS do-not-contact check.
    pub do_not_contact: bool,
    /// Meeting invitations sent to the CRM.
    pub meeting_invite: bool,
}

impl Default for ServiceSwitches {
    fn default() -> Self {
        Self {
            contacts: true,
            activities: true,
            call_logging: true,
            message_logging: true,
            do_not_contact: true,
            meeting_invite: true,
        }
    }
}

/// How the widget frame is built (protocol.md §1.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WidgetSettings {
    /// The Embeddable `app.html` to frame.
    pub app_url: String,
    /// RingCentral app client id; empty uses the widget's demo id.
    pub client_id: String,
    /// RingCentral API server; empty means production.
    pub app_server: String,
    /// OAuth redirect page; empty means the widget's default.
    pub redirect_uri: String,
    /// Several CRM tabs share one phone: the widget elects one main tab, and only it rings
    /// and auto-logs (`multipleTabsSupport`). On by default: without it every open CRM tab
    /// rings and logs.
    pub multiple_tabs_support: bool,
    /// Tabs that are not the main one close their web-phone connection
    /// (`disconnectInactiveWebphone`), so ten CRM tabs are one connection, not ten.
    pub disconnect_inactive_webphone: bool,
    /// How calls are placed by default (`defaultCallWith`); `None` leaves it to the widget.
    pub default_call_with: Option<CallWith>,
    /// The widget's "Auto log calls" switch starts on (`defaultAutoLogCallEnabled`).
    pub auto_log_calls: bool,
    /// The widget's "Auto log messages" switch starts on (`defaultAutoLogMessageEnabled`).
    pub auto_log_messages: bool,
}

/// The widget's ways to place a call (protocol.md §1.4 `defaultCallWith`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallWith {
    /// The browser's web phone.
    Browser,
    /// The RingCentral desktop app.
    Jupiter,
    /// The RingCentral Phone softphone.
    Softphone,
    /// RingOut: the phone system calls the user's own phone first.
    Ringout,
}

impl CallWith {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            CallWith::Browser => "browser",
            CallWith::Jupiter => "jupiter",
            CallWith::Softphone => "softphone",
            CallWith::Ringout => "ringout",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schema_version: SETTINGS_SCHEMA_VERSION,
            widget: WidgetSettings::default(),
            sites: Vec::new(),
            all_sites: AllSites::default(),
            services: ServiceSwitches::default(),
            widget_toggles: BTreeMap::new(),
            site_options: BTreeMap::new(),
            own_numbers: Vec::new(),
            default_region: None,
            import_requests_per_second: crate::bulk_import::job::DEFAULT_REQUESTS_PER_SECOND,
            limits: limits::LearningLimits::default(),
        }
    }
}

impl Default for WidgetSettings {
    fn default() -> Self {
        Self {
            app_url: DEFAULT_WIDGET_URL.to_owned(),
            client_id: String::new(),
            app_server: String::new(),
            redirect_uri: String::new(),
            multiple_tabs_support: true,
            disconnect_inactive_webphone: true,
            default_call_with: None,
            auto_log_calls: false,
            auto_log_messages: false,
        }
    }
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsError {
    /// The text is not settings JSON (or a field has the wrong type or value).
    Unreadable(String),
    /// Written by a newer crm-bridge.
    FutureVersion(u32),
    /// The widget URL cannot be used.
    WidgetUrl(String),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Unreadable(why) => write!(f, "these settings cannot be read: {why}"),
            SettingsError::FutureVersion(v) => write!(
                f,
                "these settings come from a newer crm-bridge (layout {v}, this one reads up to \
                 {SETTINGS_SCHEMA_VERSION}); update the extension first"
            ),
            SettingsError::WidgetUrl(why) => write!(f, "widget URL refused: {why}"),
        }
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads and validates settings JSON; missing fields take their defaults.
    pub fn from_json(text: &str) -> Result<Self, SettingsError> {
        let settings: Settings =
            serde_json::from_str(text).map_err(|err| SettingsError::Unreadable(err.to_string()))?;
        if settings.schema_version > SETTINGS_SCHEMA_VERSION {
            return Err(SettingsError::FutureVersion(settings.schema_version));
        }
        settings.widget_url()?;
        if let Some(bad) = settings
            .own_numbers
            .iter()
            .find(|n| crate::contacts::number_key::NumberKey::parse(n).is_none())
        {
            return Err(SettingsError::Unreadable(format!(
                "\"{}\" in your own numbers is not a phone number (at least 6 digits)",
                bad.chars().take(60).collect::<String>()
            )));
        }
        if let Some(region) = &settings.default_region {
            if !site_options::is_country_code(region) {
                return Err(SettingsError::Unreadable(format!(
                    "default region \"{}\" is not a two-letter country code such as DE or US",
                    region.chars().take(20).collect::<String>()
                )));
            }
        }
        if let Some((site, country)) = settings.site_options.iter().find_map(|(site, options)| {
            let country = options.country.as_deref()?;
            (!site_options::is_country_code(country)).then_some((site, country))
        }) {
            return Err(SettingsError::Unreadable(format!(
                "the country \"{}\" of {site} is not a two-letter country code such as DE or US",
                country.chars().take(20).collect::<String>()
            )));
        }
        let rate = settings.import_requests_per_second;
        if !(0.1..=10.0).contains(&rate) {
            return Err(SettingsError::Unreadable(format!(
                "{rate} pages a second for bulk imports is outside 0.1 to 10"
            )));
        }
        Ok(Settings {
            schema_version: SETTINGS_SCHEMA_VERSION,
            ..settings
        })
    }

    /// The validated widget app URL.
    pub fn widget_url(&self) -> Result<WebUrl, SettingsError> {
        validate_widget_url(&self.widget.app_url)
    }

    /// The URL the widget iframe loads: the app URL plus the widget's query options (§1.4).
    pub fn widget_frame_url(&self) -> Result<String, SettingsError> {
        let base = self.widget_url()?.to_string();
        let (base, fragment) = match base.split_once('#') {
            Some((b, f)) => (b.to_owned(), format!("#{f}")),
            None => (base, String::new()),
        };
        let widget = &self.widget;
        let flag = |on: bool| if on { "1" } else { "" };
        let options = [
            ("clientId", widget.client_id.as_str()),
            ("appServer", &widget.app_server),
            ("redirectUri", &widget.redirect_uri),
            ("multipleTabsSupport", flag(widget.multiple_tabs_support)),
            (
                "disconnectInactiveWebphone",
                flag(widget.disconnect_inactive_webphone),
            ),
            (
                "defaultCallWith",
                widget.default_call_with.map_or("", CallWith::as_str),
            ),
            ("defaultAutoLogCallEnabled", flag(widget.auto_log_calls)),
            (
                "defaultAutoLogMessageEnabled",
                flag(widget.auto_log_messages),
            ),
        ];
        // The widget treats a present option as set: false ones are left out.
        let query: Vec<String> = options
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", encode_component(value)))
            .collect();
        if query.is_empty() {
            return Ok(format!("{base}{fragment}"));
        }
        let joiner = if base.contains('?') { '&' } else { '?' };
        Ok(format!("{base}{joiner}{}{fragment}", query.join("&")))
    }

    /// Whether an open widget must be loaded anew to follow these settings: its address or
    /// options changed, or the services to register did (the widget accepts one registration
    /// per lifetime). Values the widget itself changed (`widget_toggles`) do not count.
    pub fn needs_new_widget(&self, next: &Settings) -> bool {
        self.widget != next.widget || self.services != next.services
    }

    /// Whether crm-bridge is switched on for the site of this page URL.
    pub fn enables_url(&self, url: &str) -> bool {
        self.site_for_url(url).is_some()
    }

    /// The enabled site a page URL belongs to: a listed site it matches, else (in the
    /// all-sites mode, unless excepted) its own host.
    pub fn site_for_url(&self, url: &str) -> Option<SitePattern> {
        self.enabled_by(url).map(|enabled| enabled.site)
    }

    /// The enabled site a page URL belongs to, and whether it is listed one by one (else the
    /// all-sites mode covers it).
    pub fn enabled_by(&self, url: &str) -> Option<EnabledBy> {
        let page = WebUrl::parse(url).ok()?;
        if let Some(site) = self.listed_site_for(&page) {
            return Some(EnabledBy {
                site: site.clone(),
                listed: true,
            });
        }
        if self.all_sites.covers(&page) {
            let site = SitePattern::for_page(url, false).ok()?;
            return Some(EnabledBy {
                site,
                listed: false,
            });
        }
        None
    }

    /// The recipe of an enabled site, if it has one.
    pub fn recipe_of(&self, site: &SitePattern) -> Option<&recipe::Recipe> {
        self.site_options.get(site)?.recipe.as_ref()
    }

    /// The country of numbers a page at `page_url` writes without one, when the page does not
    /// say it: its site's country, else the default for every site.
    pub fn region_for_url(&self, page_url: &str) -> Option<&str> {
        self.site_for_url(page_url)
            .and_then(|site| self.site_options.get(&site)?.country.as_deref())
            .or(self.default_region.as_deref())
    }

    /// Whether `site` may keep contacts new to it from the page at `page_url` (its "keep only"
    /// pages; every page when it has none).
    pub fn keeps_new_from(&self, site: &SitePattern, page_url: &str) -> bool {
        self.site_options
            .get(site)
            .is_none_or(|options| options.keeps_new_from(page_url))
    }

    /// The listed site a page belongs to (switched on one by one).
    pub fn listed_site_for(&self, page: &WebUrl) -> Option<&SitePattern> {
        self.sites.iter().find(|site| site.matches(page))
    }

    /// Switches a site on (once), and takes it off the all-sites exceptions that cover it;
    /// `false` when it was already on.
    pub fn enable_site(&mut self, site: SitePattern) -> bool {
        self.all_sites
            .except
            .retain(|except| !except.overlaps(&site));
        if self.sites.contains(&site) {
            return false;
        }
        self.sites.push(site);
        true
    }

    /// Switches a site off; `false` when it was not on.
    pub fn disable_site(&mut self, site: &SitePattern) -> bool {
        let before = self.sites.len();
        self.sites.retain(|s| s != site);
        self.sites.len() != before
    }

    /// Switches a page off: its listed site, and in the all-sites mode its host too (added to
    /// the exceptions).
    pub fn disable_page(&mut self, url: &str) -> SwitchedOff {
        let mut off = SwitchedOff::default();
        let Ok(page) = WebUrl::parse(url) else {
            return off;
        };
        if let Some(site) = self.listed_site_for(&page).cloned() {
            self.disable_site(&site);
            off.listed = Some(site);
        }
        if self.all_sites.covers(&page) {
            if let Ok(host) = SitePattern::for_page(url, false) {
                self.all_sites.except.push(host.clone());
                off.excepted = Some(host);
            }
        }
        off
    }

    /// Match patterns of every enabled site.
    pub fn site_match_patterns(&self) -> Vec<String> {
        self.sites.iter().map(SitePattern::match_pattern).collect()
    }
}

/// Accepts `https:` anywhere, and `http:` only on this machine (a local widget simulator).
pub fn validate_widget_url(input: &str) -> Result<WebUrl, SettingsError> {
    let url = WebUrl::parse(input).map_err(|err| SettingsError::WidgetUrl(err.to_string()))?;
    if !url.is_secure() && !url.is_loopback() {
        return Err(SettingsError::WidgetUrl(format!(
            "{input} is not https; plain http is allowed only for 127.0.0.1 or localhost"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_all_sites_mode_covers_every_page_but_its_exceptions() {
        let mut settings = Settings::from_json(
            r#"{"sites":["https://*.crm.example.com"],
                "allSites":{"on":true,"except":["bank.example","http://intranet.local"]}}"#,
        )
        .unwrap();
        let site = |url: &str| settings.site_for_url(url).map(|s| s.to_string());
        assert_eq!(
            site("https://eu.crm.example.com/x"),
            Some("https://*.crm.example.com".into()),
            "a listed site keeps its pattern"
        );
        assert_eq!(
            site("https://tickets.example.org:8443/a?b"),
            Some("https://tickets.example.org".into()),
            "elsewhere the page's own host"
        );
        assert_eq!(site("https://bank.example/login"), None);
        assert_eq!(site("http://intranet.local/"), None);
        assert_eq!(site("chrome://settings"), None);
        settings.all_sites.on = false;
        assert_eq!(settings.site_for_url("https://tickets.example.org/"), None);
        // Never everything through the exceptions' back door either.
        for bad in [r#"["*"]"#, r#"["<all_urls>"]"#, r#"["http://*/*"]"#] {
            let text = format!(r#"{{"allSites":{{"on":true,"except":{bad}}}}}"#);
            assert!(Settings::from_json(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn exceptions_are_read_line_by_line() {
        let except =
            AllSites::parse_except("bank.example\n\n  bank.example \n*.hr.example.com\n").unwrap();
        let names: Vec<String> = except.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["https://bank.example", "https://*.hr.example.com"]);
        let err = AllSites::parse_except("ok.example\nnot a site").unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
        assert!(AllSites::parse_except("").unwrap().is_empty());
    }

    #[test]
    fn defaults_frame_the_hosted_app() {
        let settings = Settings::from_json("{}").unwrap();
        // Several CRM tabs share one phone: one rings, one holds a web-phone connection.
        assert_eq!(
            settings.widget_frame_url().unwrap(),
            format!("{DEFAULT_WIDGET_URL}?multipleTabsSupport=1&disconnectInactiveWebphone=1")
        );
        assert_eq!(settings.schema_version, SETTINGS_SCHEMA_VERSION);
    }

    #[test]
    fn widget_options_become_query_parameters() {
        let settings = Settings::from_json(
            r#"{"widget":{"appUrl":"https://x.test/app.html?a=1#h","clientId":"id 1",
                "multipleTabsSupport":false,"disconnectInactiveWebphone":false,
                "defaultCallWith":"ringout","autoLogCalls":true,"autoLogMessages":true}}"#,
        )
        .unwrap();
        assert_eq!(
            settings.widget_frame_url().unwrap(),
            "https://x.test/app.html?a=1&clientId=id%201&defaultCallWith=ringout\
             &defaultAutoLogCallEnabled=1&defaultAutoLogMessageEnabled=1#h"
        );
        let wrong = Settings::from_json(r#"{"widget":{"defaultCallWith":"pigeon"}}"#);
        assert!(matches!(wrong, Err(SettingsError::Unreadable(_))));
    }

    #[test]
    fn widget_url_must_be_https_or_local() {
        for bad in [
            "http://evil.test/app.html",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "",
        ] {
            let err = validate_widget_url(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("widget URL refused"),
                "{bad}: {err}"
            );
        }
        assert!(validate_widget_url("http://127.0.0.1:9000/widget-sim/").is_ok());
        assert!(validate_widget_url("http://localhost/sim").is_ok());
        let err =
            Settings::from_json(r#"{"widget":{"appUrl":"http://crm.test/app"}}"#).unwrap_err();
        assert!(matches!(err, SettingsError::WidgetUrl(_)));
    }

    #[test]
    fn the_default_region_is_a_two_letter_code() {
        let ok = Settings::from_json(r#"{"defaultRegion":"DE"}"#).unwrap();
        assert_eq!(ok.default_region.as_deref(), Some("DE"));
        let err = Settings::from_json(r#"{"defaultRegion":"Germany"}"#).unwrap_err();
        assert!(err.to_string().contains("two-letter"), "{err}");
    }

    #[test]
    fn a_sites_country_comes_before_the_default_for_every_site() {
        let settings = Settings::from_json(
            r#"{"sites":["https://fr.example.com","https://crm.example.com"],
                "defaultRegion":"DE",
                "siteOptions":{"https://fr.example.com":{"country":"FR"}}}"#,
        )
        .unwrap();
        assert_eq!(
            settings.region_for_url("https://fr.example.com/c/1"),
            Some("FR")
        );
        assert_eq!(
            settings.region_for_url("https://crm.example.com/c/1"),
            Some("DE")
        );
        assert_eq!(
            settings.region_for_url("https://off.example.com/"),
            Some("DE")
        );
        let err = Settings::from_json(
            r#"{"siteOptions":{"https://fr.example.com":{"country":"France"}}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("two-letter"), "{err}");
    }

    #[test]
    fn the_bulk_import_pace_is_gentle_by_default_and_bounded() {
        assert_eq!(
            Settings::from_json("{}")
                .unwrap()
                .import_requests_per_second,
            2.0
        );
        let slow = Settings::from_json(r#"{"importRequestsPerSecond":0.5}"#).unwrap();
        assert_eq!(slow.import_requests_per_second, 0.5);
        for bad in ["0", "-1", "50"] {
            let text = format!(r#"{{"importRequestsPerSecond":{bad}}}"#);
            let err = Settings::from_json(&text).unwrap_err();
            assert!(err.to_string().contains("outside 0.1 to 10"), "{err}");
        }
    }

    #[test]
    fn own_numbers_must_be_phone_numbers() {
        assert!(Settings::from_json(r#"{"ownNumbers":["+1 650 555 0100"]}"#).is_ok());
        let err = Settings::from_json(r#"{"ownNumbers":["reception"]}"#).unwrap_err();
        assert!(err.to_string().contains("reception"), "{err}");
    }

    #[test]
    fn refuses_future_and_broken_files() {
        assert_eq!(
            Settings::from_json(r#"{"schemaVersion": 99}"#),
            Err(SettingsError::FutureVersion(99))
        );
        assert!(matches!(
            Settings::from_json("{\"sites\": [\"*\"]}"),
            Err(SettingsError::Unreadable(_))
        ));
        assert!(matches!(
            Settings::from_json("{"),
            Err(SettingsError::Unreadable(_))
        ));
    }

    #[test]
    fn only_address_and_service_changes_need_a_new_widget() {
        let before = Settings::default();
        let mut toggled = before.clone();
        toggled
            .widget_toggles
            .insert("openRecordOnRing".into(), Value::from(false));
        toggled
            .sites
            .push(SitePattern::parse("crm.example.com").unwrap());
        assert!(
            !before.needs_new_widget(&toggled),
            "its own toggles must not reload the widget"
        );
        let mut client = before.clone();
        client.widget.client_id = "abc".into();
        assert!(before.needs_new_widget(&client));
        let mut services = before.clone();
        services.services.message_logging = false;
        assert!(before.needs_new_widget(&services));
    }

    #[test]
    fn sites_switch_on_and_off_once() {
        let mut settings = Settings::default();
        let site = SitePattern::parse("http://127.0.0.1:4000/contacts").unwrap();
        assert!(settings.enable_site(site.clone()));
        assert!(!settings.enable_site(site.clone()), "already on");
        assert!(settings.enables_url("http://127.0.0.1:5000/other"));
        assert_eq!(
            settings.site_for_url("http://127.0.0.1/x"),
            Some(site.clone())
        );
        assert!(!settings.enables_url("http://localhost:4000/"));
        assert!(settings.disable_site(&site));
        assert!(!settings.disable_site(&site));
        assert!(!settings.enables_url("http://127.0.0.1:4000/contacts"));
    }

    #[test]
    fn sites_become_match_patterns() {
        let settings =
            Settings::from_json(r#"{"sites":["http://127.0.0.1:4000","*.example.com"]}"#).unwrap();
        assert_eq!(
            settings.site_match_patterns(),
            vec!["http://127.0.0.1/*", "https://*.example.com/*"]
        );
    }
}
