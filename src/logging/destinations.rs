//! Which destinations an entry goes to, besides the journal (which gets every entry).
//!
//! A site's webhook gets the entries logged against that site's contacts. An entry with no
//! contact (an unknown caller) has no site; it goes to the webhook of the only site that has
//! one, and stays in the journal only when several do (sending it to every site's CRM would
//! copy one customer's call into another CRM).

use super::webhook::Webhook;
use crate::settings::site_options::SiteOptions;
use crate::sites::SitePattern;
use std::collections::BTreeMap;

/// Destination ids of webhooks start with this, followed by the site pattern.
pub const WEBHOOK_PREFIX: &str = "webhook:";

/// The destination id of a site's webhook.
pub fn webhook_destination(site: &SitePattern) -> String {
    format!("{WEBHOOK_PREFIX}{site}")
}

/// The sites that have a webhook, as the settings say now: what a journal write needs to pick
/// an entry's destinations once it knows the entry's contact (inside its transaction).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Destinations {
    options: BTreeMap<SitePattern, SiteOptions>,
}

impl Destinations {
    /// The destinations configured in these site options.
    pub fn of(options: &BTreeMap<SitePattern, SiteOptions>) -> Self {
        let options = options
            .iter()
            .filter(|(_, o)| o.webhook.is_some())
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
        return match options.get(&site).and_then(|o| o.webhook.as_ref()) {
            Some(_) => vec![webhook_destination(&site)],
            None => Vec::new(),
        };
    }
    let mut with_webhook = options.iter().filter(|(_, o)| o.webhook.is_some());
    match (with_webhook.next(), with_webhook.next()) {
        (Some((only, _)), None) => vec![webhook_destination(only)],
        _ => Vec::new(),
    }
}

/// Whether a delivery to `destination` of the entry `entry_key` goes away with `site` (its
/// webhook, or an entry of the site's, listed in `forgotten`).
pub fn forgotten_with(
    site: &str,
    destination: &str,
    entry_key: &str,
    forgotten: &[String],
) -> bool {
    destination.strip_prefix(WEBHOOK_PREFIX) == Some(site)
        || forgotten.iter().any(|k| k == entry_key)
}

/// The webhook behind a destination id, as configured now (`None` once it was removed).
pub fn webhook_for(
    options: &BTreeMap<SitePattern, SiteOptions>,
    destination: &str,
) -> Option<Webhook> {
    let site = SitePattern::parse(destination.strip_prefix(WEBHOOK_PREFIX)?).ok()?;
    options.get(&site)?.webhook.clone()
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
        let url = webhook_for(&all, "webhook:https://other.example")
            .unwrap()
            .url;
        assert_eq!(url, "https://hooks.example/other.example");
        assert_eq!(webhook_for(&all, "webhook:https://quiet.example"), None);
        assert_eq!(webhook_for(&all, "mail:crm.example"), None);
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
}
