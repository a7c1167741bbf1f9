//! Which destinations an entry goes to, besides the journal (which gets every entry).
//!
//! A site's destinations are its webhook and its CRM's own endpoint (the recipe's `log`, API
//! mode); they get the entries logged against that site's contacts. An entry with no contact
//! (an unknown caller) has no site; it goes to the destinations of the only site that has any,
//! and stays in the journal only when several do (sending it to every site's CRM would copy one
//! customer's call into another CRM).

use super::webhook::Webhook;
use crate::settings::site_options::SiteOptions;
use crate::sites::SitePattern;
use std::collections::BTreeMap;

/// Destination ids of webhooks start with this, followed by the site pattern.
pub const WEBHOOK_PREFIX: &str = "webhook:";
/// Destination ids of a site's CRM endpoint start with this, followed by the site pattern.
pub const CRM_PREFIX: &str = "crm:";

/// The destination id of a site's webhook.
pub fn webhook_destination(site: &SitePattern) -> String {
    format!("{WEBHOOK_PREFIX}{site}")
}

/// The destination id of a site's CRM endpoint.
pub fn crm_destination(site: &SitePattern) -> String {
    format!("{CRM_PREFIX}{site}")
}

/// Where a destination's deliveries go, as configured now.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A webhook: its URL, extra header and signing secret.
    Webhook(Webhook),
    /// The CRM's own endpoint, POSTed with the user's session (cookies) for the site.
    Crm {
        /// The endpoint, on the site.
        url: String,
    },
}

/// The site's CRM endpoint for logs, if its recipe names one on the site itself.
fn crm_log(site: &SitePattern, options: &SiteOptions) -> Option<String> {
    Some(options.recipe.as_ref()?.log_on(site)?.to_string())
}

/// A site's destinations: its webhook, then its CRM endpoint.
fn site_destinations(site: &SitePattern, options: &SiteOptions) -> Vec<String> {
    let webhook = options.webhook.as_ref().map(|_| webhook_destination(site));
    let crm = crm_log(site, options).map(|_| crm_destination(site));
    webhook.into_iter().chain(crm).collect()
}

/// The sites that have a destination, as the settings say now: what a journal write needs to
/// pick an entry's destinations once it knows the entry's contact (inside its transaction).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Destinations {
    options: BTreeMap<SitePattern, SiteOptions>,
}

impl Destinations {
    /// The destinations configured in these site options.
    pub fn of(options: &BTreeMap<SitePattern, SiteOptions>) -> Self {
        let options = options
            .iter()
            .filter(|(site, o)| !site_destinations(site, o).is_empty())
            .map(|(site, o)| (site.clone(), o.clone()))
            .collect();
        Self { options }
    }

    /// The destinations of an entry logged against a contact of `site`.
    pub fn for_site(&self, site: Option<&str>) -> Vec<String> {
        destinations_for(&self.options, site)
    }
}

/// The destinations of an entry logged against a contact of `site` (or of nobody's site).
pub fn destinations_for(
    options: &BTreeMap<SitePattern, SiteOptions>,
    site: Option<&str>,
) -> Vec<String> {
    if let Some(site) = site.and_then(|s| SitePattern::parse(s).ok()) {
        return options
            .get(&site)
            .map(|o| site_destinations(&site, o))
            .unwrap_or_default();
    }
    let mut with_any = options
        .iter()
        .map(|(site, o)| site_destinations(site, o))
        .filter(|d| !d.is_empty());
    match (with_any.next(), with_any.next()) {
        (Some(only), None) => only,
        _ => Vec::new(),
    }
}

/// The site a destination id belongs to.
fn destination_site(destination: &str) -> Option<&str> {
    destination
        .strip_prefix(WEBHOOK_PREFIX)
        .or_else(|| destination.strip_prefix(CRM_PREFIX))
}

/// Whether a delivery to `destination` of the entry `entry_key` goes away with `site` (one of
/// its destinations, or an entry of the site's, listed in `forgotten`).
pub fn forgotten_with(
    site: &str,
    destination: &str,
    entry_key: &str,
    forgotten: &[String],
) -> bool {
    destination_site(destination) == Some(site) || forgotten.iter().any(|k| k == entry_key)
}

/// Where a destination id sends, as configured now (`None` once it was removed).
pub fn target_for(
    options: &BTreeMap<SitePattern, SiteOptions>,
    destination: &str,
) -> Option<Target> {
    let site = SitePattern::parse(destination_site(destination)?).ok()?;
    let site_options = options.get(&site)?;
    if destination.starts_with(WEBHOOK_PREFIX) {
        return site_options.webhook.clone().map(Target::Webhook);
    }
    crm_log(&site, site_options).map(|url| Target::Crm { url })
}

/// Where a delivery to `destination` goes now, if it can be sent as configured: not when it
/// was removed, nor to a webhook whose settings no browser would send (stored before the rules
/// were checked at save). Such a delivery stops with the reason instead of being retried.
pub fn sendable_target(
    options: &BTreeMap<SitePattern, SiteOptions>,
    destination: &str,
) -> Result<Target, String> {
    match target_for(options, destination) {
        Some(Target::Webhook(webhook)) => webhook
            .validated()
            .map(Target::Webhook)
            .map_err(|why| format!("{why}; fix the webhook in the options page, then retry")),
        Some(target) => Ok(target),
        None => Err(
            "its destination (webhook or the recipe's log address) was removed in the \
                     options page; retry after adding it again, or discard"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(sites: &[(&str, bool)]) -> BTreeMap<SitePattern, SiteOptions> {
        sites
            .iter()
            .map(|(site, hook)| {
                let webhook = hook.then(|| Webhook {
                    url: format!("https://hooks.example/{site}"),
                    ..Webhook::default()
                });
                let options = SiteOptions {
                    webhook,
                    ..SiteOptions::default()
                };
                (SitePattern::parse(site).unwrap(), options)
            })
            .collect()
    }

    #[test]
    fn a_contact_entry_goes_to_its_own_site_only() {
        let all = options(&[
            ("crm.example", true),
            ("other.example", true),
            ("quiet.example", false),
        ]);
        assert_eq!(
            destinations_for(&all, Some("crm.example")),
            ["webhook:https://crm.example"]
        );
        assert!(destinations_for(&all, Some("quiet.example")).is_empty());
        assert!(destinations_for(&all, Some("unknown.example")).is_empty());
        let Some(Target::Webhook(hook)) = target_for(&all, "webhook:https://other.example") else {
            panic!()
        };
        assert_eq!(hook.url, "https://hooks.example/other.example");
        assert_eq!(target_for(&all, "webhook:https://quiet.example"), None);
        assert_eq!(target_for(&all, "mail:crm.example"), None);
    }

    #[test]
    fn an_unknown_caller_goes_to_the_only_webhook_or_nowhere() {
        let one = options(&[("crm.example", true), ("quiet.example", false)]);
        assert_eq!(
            destinations_for(&one, None),
            ["webhook:https://crm.example"]
        );
        let two = options(&[("crm.example", true), ("other.example", true)]);
        assert!(destinations_for(&two, None).is_empty());
    }

    fn with_crm_log(log: &str) -> SiteOptions {
        let recipe = format!(r#"{{"version":1,"log":"{log}"}}"#);
        let recipe = crate::settings::recipe::Recipe::parse(&recipe).unwrap();
        SiteOptions {
            recipe,
            ..SiteOptions::default()
        }
    }

    #[test]
    fn a_site_whose_recipe_names_its_crm_endpoint_gets_its_logs_there_too() {
        let mut all = options(&[("crm.example", true)]);
        let crm = SitePattern::parse("crm.example").unwrap();
        let mut both = with_crm_log("https://crm.example/api/calls");
        both.webhook = all[&crm].webhook.clone();
        all.insert(crm.clone(), both);
        let api_only = SitePattern::parse("api.example").unwrap();
        all.insert(
            api_only.clone(),
            with_crm_log("https://api.example/v1/activities"),
        );
        assert_eq!(
            destinations_for(&all, Some("crm.example")),
            ["webhook:https://crm.example", "crm:https://crm.example"]
        );
        assert_eq!(
            target_for(&all, "crm:https://api.example"),
            Some(Target::Crm {
                url: "https://api.example/v1/activities".into()
            })
        );
        assert!(
            destinations_for(&all, None).is_empty(),
            "two sites have destinations: an unknown caller stays in the journal"
        );
        all.remove(&crm);
        assert_eq!(
            destinations_for(&all, None),
            ["crm:https://api.example"],
            "the only site with a destination"
        );
        // A log address off the site is never a destination (the options page refuses it too).
        let elsewhere = with_crm_log("https://evil.example/steal");
        all.insert(api_only.clone(), elsewhere);
        assert!(destinations_for(&all, Some("api.example")).is_empty());
        assert_eq!(target_for(&all, "crm:https://api.example"), None);
        assert!(forgotten_with(
            "https://api.example",
            "crm:https://api.example",
            "call:1",
            &[]
        ));
    }

    #[test]
    fn a_stored_webhook_no_browser_would_send_is_unsendable_with_the_reason() {
        let site = SitePattern::parse("https://crm.example").unwrap();
        let with_header = |name: &str| {
            let webhook = Webhook {
                url: "https://hooks.example/in".into(),
                header_name: name.into(),
                header_value: "v".into(),
                ..Webhook::default()
            };
            let options = SiteOptions {
                webhook: Some(webhook),
                ..SiteOptions::default()
            };
            BTreeMap::from([(site.clone(), options)])
        };
        let destination = format!("{WEBHOOK_PREFIX}https://crm.example");
        let refused = sendable_target(&with_header("Proxy-Authorization"), &destination);
        assert!(
            matches!(&refused, Err(why) if why.contains("Proxy-Authorization") && why.contains("options page")),
            "{refused:?}"
        );
        assert!(matches!(
            sendable_target(&with_header("Authorization"), &destination),
            Ok(Target::Webhook(_))
        ));
        assert!(
            sendable_target(&BTreeMap::new(), &destination).is_err(),
            "removed"
        );
    }
}
