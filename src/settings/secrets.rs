//! What in the settings is a secret, and how it leaves the browser: a settings file without
//! secrets by default (they come back from the settings in place when such a file is
//! imported), and addresses in a support report with every value that could be a token hidden.

use super::Settings;

/// What stands in for a secret in a settings file or a support report.
pub const HIDDEN: &str = "(hidden)";

/// Query parameters of the widget's address that carry credentials (`clientSecret`, a JWT for
/// password-less login), hidden in a settings file exported without secrets.
const CREDENTIAL_PARAMS: &[&str] = &[
    "clientsecret",
    "jwt",
    "accesstoken",
    "access_token",
    "token",
    "password",
    "secret",
    "apikey",
    "api_key",
    "code",
];

/// Query parameters whose values a support report keeps: the widget's switches and public
/// ids. Every other value is hidden (a webhook's `?token=…`, a widget `clientSecret`).
const REPORT_SAFE_PARAMS: &[&str] = &[
    "appserver",
    "clientid",
    "redirecturi",
    "defaultcallwith",
    "multipletabssupport",
    "disconnectinactivewebphone",
    "defaultautologcallenabled",
    "defaultautologmessageenabled",
    "enableanalytics",
    "theme",
    "locale",
    "lang",
    "version",
    "v",
];

/// `settings` as a settings file without secrets: webhook header values and signing secrets,
/// and credentials in the widget's address, read [`HIDDEN`]. Everything else is kept.
pub fn without_credentials(settings: &Settings) -> Settings {
    let mut settings = settings.clone();
    for options in settings.site_options.values_mut() {
        if let Some(webhook) = &mut options.webhook {
            hide(&mut webhook.header_value);
            hide(&mut webhook.signing_secret);
        }
    }
    settings.widget.app_url = with_query_values_hidden(&settings.widget.app_url, |key| {
        CREDENTIAL_PARAMS.contains(&key.to_ascii_lowercase().as_str())
    });
    settings
}

/// An imported settings file with its [`HIDDEN`] secrets taken from the settings in place (the
/// same site's webhook); refused, naming the site, when there is none to take.
pub fn with_credentials_from(
    mut imported: Settings,
    current: &Settings,
) -> Result<Settings, super::SettingsError> {
    let refused = |why: String| super::SettingsError::Unreadable(why);
    for (site, options) in imported.site_options.iter_mut() {
        let Some(webhook) = &mut options.webhook else {
            continue;
        };
        let stored = current
            .site_options
            .get(site)
            .and_then(|o| o.webhook.as_ref());
        for (value, kept) in [
            (&mut webhook.header_value, stored.map(|w| &w.header_value)),
            (
                &mut webhook.signing_secret,
                stored.map(|w| &w.signing_secret),
            ),
        ] {
            if value == HIDDEN {
                match kept.filter(|kept| !kept.is_empty()) {
                    Some(kept) => value.clone_from(kept),
                    None => {
                        return Err(refused(format!(
                            "the settings file was exported without secrets, and {site} has no \
                             webhook secret here to keep: type it in the site's webhook fields \
                             after importing a file without that webhook, or import a file \
                             exported with secrets"
                        )))
                    }
                }
            }
        }
    }
    if imported.widget.app_url.contains(HIDDEN) || imported.widget.app_url.contains("%28hidden%29")
    {
        if current.widget.app_url.contains(HIDDEN) {
            return Err(refused(
                "the widget address in the settings file has hidden credentials".into(),
            ));
        }
        imported.widget.app_url = current.widget.app_url.clone();
    }
    Ok(imported)
}

/// An address as a support report shows it: scheme, host and port; path segments that could
/// be tokens (long, or letters and digits mixed) and query values outside a safe list hidden;
/// the fragment left out.
pub fn redacted_url(url: &str) -> String {
    if url.is_empty() {
        return String::new();
    }
    let Ok(parsed) = crate::url::WebUrl::parse(url) else {
        return HIDDEN.into();
    };
    let rest = parsed.rest();
    let rest = rest.split('#').next().unwrap_or_default();
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path: Vec<String> = path
        .split('/')
        .map(|segment| match plain_segment(segment) {
            true => segment.to_owned(),
            false => HIDDEN.to_owned(),
        })
        .collect();
    let origin = parsed.origin();
    let shown = format!("{origin}{}", path.join("/"));
    match query.is_empty() {
        true => shown,
        false => with_query_values_hidden(&format!("{shown}?{query}"), |key| {
            !REPORT_SAFE_PARAMS.contains(&key.to_ascii_lowercase().as_str())
        }),
    }
}

/// A path segment a report may show: empty, a short word (`hooks`, `v1`, `call-logs`) or a
/// short number; anything longer or mixing letters and digits beyond a version could be a token.
fn plain_segment(segment: &str) -> bool {
    let short = segment.chars().count() <= 24;
    let word = segment
        .chars()
        .all(|c| c.is_ascii_alphabetic() || "-_.".contains(c));
    let number = segment.len() <= 6 && segment.chars().all(|c| c.is_ascii_digit());
    let version = segment.len() <= 4
        && segment.starts_with('v')
        && segment[1..].chars().all(|c| c.is_ascii_digit());
    segment.is_empty() || (short && (word || number || version))
}

/// `url` with the values of the query parameters `secret(key)` says are secret read HIDDEN.
fn with_query_values_hidden(url: &str, secret: impl Fn(&str) -> bool) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if secret(key) && !value.is_empty() => format!("{key}={HIDDEN}"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn hide(value: &mut String) {
    if !value.is_empty() {
        *value = HIDDEN.to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_hides_tokens_in_paths_and_queries() {
        assert_eq!(
            redacted_url("https://hooks.slack.com/services/T0AB12CD3/B0XY/aBcDeFgH1234567890?x=1"),
            format!("https://hooks.slack.com/services/{HIDDEN}/{HIDDEN}/{HIDDEN}?x={HIDDEN}")
        );
        assert_eq!(
            redacted_url("https://h.example/v1/call-logs?token=s3cr3t#frag"),
            format!("https://h.example/v1/call-logs?token={HIDDEN}")
        );
        let widget = redacted_url(
            "https://apps.ringcentral.com/integration/ringcentral-embeddable/latest/app.html\
             ?clientId=abc&clientSecret=topsecret&jwt=eyJhbGciOi.x.y&appServer=https://platform.ringcentral.com",
        );
        assert!(
            !widget.contains("topsecret") && !widget.contains("eyJ"),
            "{widget}"
        );
        assert!(widget.contains("clientId=abc") && widget.contains("appServer=https://platform"));
        assert!(widget.contains("/integration/ringcentral-embeddable/latest/app.html"));
        assert_eq!(redacted_url(""), "");
        assert_eq!(redacted_url("not a url"), HIDDEN);
    }

    #[test]
    fn a_file_without_secrets_gets_them_back_from_the_settings_in_place() {
        let current = Settings::from_json(
            r#"{"sites":["https://crm.example.com"],
                "widget":{"appUrl":"https://w.example/app.html?clientId=a&clientSecret=s1"},
                "siteOptions":{"https://crm.example.com":{"webhook":{"url":"https://hooks.example.com/x",
                "headerName":"Authorization","headerValue":"Bearer t0k","signingSecret":"k3y"}}}}"#,
        )
        .unwrap();
        let exported = without_credentials(&current);
        let text = serde_json::to_string(&exported).unwrap();
        for secret in ["Bearer t0k", "k3y", "s1\""] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert!(text.contains("Authorization") && text.contains("clientId=a"));
        let imported = Settings::from_json(&text).unwrap();
        assert_eq!(
            with_credentials_from(imported.clone(), &current).unwrap(),
            current
        );
        let refused = with_credentials_from(imported, &Settings::default()).unwrap_err();
        assert!(
            refused.to_string().contains("https://crm.example.com"),
            "{refused}"
        );
    }
}
