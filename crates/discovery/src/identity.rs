//! A contact's identity on its site, from the address of its record: the list row that links
//! to `/contacts/42` and the page `/contacts/42/edit` are the same contact.

use crm_bridge::url::WebUrl;

/// Trailing path words that name a view of a record, not a record.
const VIEW_WORDS: &[&str] = &[
    "edit", "view", "show", "details", "detail", "overview", "summary", "profile",
];

/// The record id a URL stands for (path without view words, id-like query parameters, and a
/// hash route), or None when the URL does not look like a record (a list, a search).
pub fn record_id(url: &str) -> Option<String> {
    let parsed = WebUrl::parse(url).ok()?;
    let rest = parsed.rest();
    let (before_hash, hash) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = before_hash.split_once('?').unwrap_or((before_hash, ""));
    let (path, query) = if let Some(route) = hash_route(hash) {
        // A hash-routed app: the route is the path; `;key=value` view state is not part of it.
        let (route_path, route_query) = route.split_once('?').unwrap_or((route, ""));
        let route_path = route_path.split(';').next().unwrap_or_default();
        (
            format!("{}#{}", path.trim_end_matches('/'), strip_views(route_path)),
            route_query.to_owned(),
        )
    } else if hash.contains('=') {
        // State kept in the hash as parameters (Odoo's `#id=14&model=res.partner`).
        (strip_views(path), format!("{query}&{hash}"))
    } else {
        (strip_views(path), query.to_owned())
    };
    let mut ids: Vec<(String, String)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, v)| id_param(k) && !v.is_empty())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    ids.sort();
    let has_id_segment = path.split(['/', '#']).any(id_like);
    if ids.is_empty() && !has_id_segment {
        return None;
    }
    let mut id = path;
    if !ids.is_empty() {
        id.push('?');
        id.push_str(
            &ids.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
        );
    }
    Some(id)
}

/// The route in a URL's hash (`#/people/8`, `#!/people/8`, `#crm/model/party.party/2`), or
/// None for an anchor (`#top`, `#section-2`): a route has a `/` between segments and no space.
pub fn hash_route(hash: &str) -> Option<&str> {
    let route = hash.strip_prefix('!').unwrap_or(hash);
    let routed = route.starts_with('/')
        || (route.contains('/') && !route.contains(char::is_whitespace) && !route.contains("%20"));
    routed.then_some(route)
}

fn strip_views(path: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    while segments.len() > 1
        && segments
            .last()
            .is_some_and(|s| VIEW_WORDS.contains(&s.to_ascii_lowercase().as_str()))
    {
        segments.pop();
    }
    format!("/{}", segments.join("/"))
}

fn id_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == "id" || key == "record" || key == "uid" || key.ends_with("id") || key.ends_with("_id")
}

/// A path segment that is a record id: digits, a UUID, a long opaque token with digits, or a
/// short letter prefix before at least three digits (`C-0042`, `p0001`, `LEAD_123`).
fn id_like(segment: &str) -> bool {
    let digits = segment.chars().filter(char::is_ascii_digit).count();
    if segment.is_empty() || digits == 0 {
        return false;
    }
    let prefix = segment.trim_end_matches(|c: char| c.is_ascii_digit());
    let letters = prefix.trim_end_matches(['-', '_']);
    let prefixed = digits >= 3
        && segment.len() - prefix.len() == digits
        && (1..=4).contains(&letters.len())
        && letters.chars().all(|c| c.is_ascii_alphabetic());
    prefixed
        || digits == segment.len()
        || (segment.len() >= 8
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_and_its_views_are_one_id() {
        let id = record_id("https://crm.test/contacts/42").unwrap();
        assert_eq!(id, "/contacts/42");
        assert_eq!(
            record_id("https://crm.test/contacts/42/edit?tab=notes").unwrap(),
            id
        );
        assert_eq!(record_id("https://crm.test/contacts/42/#top").unwrap(), id);
        assert_eq!(
            record_id("https://crm.test/index.php?module=Contacts&action=DetailView&record=17")
                .unwrap(),
            "/index.php?record=17"
        );
        assert_eq!(
            record_id("https://crm.test/app#/people/8f14e45f-ceea/view").unwrap(),
            "/app#/people/8f14e45f-ceea"
        );
        // A route without a leading slash (Tryton's sao), with view state after `;`.
        assert_eq!(
            record_id("https://erp.test/#crm/model/party.party/2;views=%5B148%5D").unwrap(),
            "#/crm/model/party.party/2"
        );
        assert_eq!(record_id("https://erp.test/#crm/model/party.party"), None);
        assert_eq!(
            record_id("https://erp.test/web#id=14&model=res.partner&view_type=form").unwrap(),
            "/web?id=14"
        );
        assert_eq!(record_id("https://erp.test/people/#section-2"), None);
        assert_eq!(
            record_id("https://crm.test/c?contactId=9&sort=name").unwrap(),
            "/c?contactid=9"
        );
    }

    #[test]
    fn prefixed_ids_are_records_and_short_words_with_digits_are_not() {
        for (url, id) in [
            ("https://crm.test/people/p0001", "/people/p0001"),
            (
                "https://crm.test/customers/C-0042/edit",
                "/customers/C-0042",
            ),
            ("https://crm.test/leads/LEAD_123", "/leads/LEAD_123"),
        ] {
            assert_eq!(record_id(url).as_deref(), Some(id), "{url}");
        }
        for url in [
            "https://crm.test/api/v2/contacts",
            "https://crm.test/reports/q3",
            "https://crm.test/people/page12",
            "https://crm.test/mp3/a1b2",
        ] {
            assert_eq!(record_id(url), None, "{url}");
        }
    }

    #[test]
    fn lists_and_searches_are_not_records() {
        assert_eq!(record_id("https://crm.test/contacts"), None);
        assert_eq!(record_id("https://crm.test/contacts?page=2&q=ada"), None);
        assert_eq!(record_id("not a url"), None);
    }
}
