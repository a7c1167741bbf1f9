//! Rules every `manifest.json` we ship must follow, checked at compile time by `build.rs` and
//! again by `cargo xtask dist` on each derived browser manifest.
//!
//! This file is included by `build.rs` with `#[path]`, so it may use only `std` and
//! `serde_json`.

use serde_json::Value;

/// Lowest Firefox that understands `data_collection_permissions` (asked for by `web-ext lint`).
pub const MIN_FIREFOX_VERSION: u32 = 140;

/// Parses and checks manifest text; each problem names the field at fault.
pub fn check_manifest_text(text: &str) -> Result<Value, Vec<String>> {
    let manifest: Value = serde_json::from_str(text).map_err(|err| {
        vec![format!(
            "not valid JSON at line {}, column {}: {err}",
            err.line(),
            err.column()
        )]
    })?;
    let problems = check_manifest(&manifest);
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(problems)
    }
}

/// Checks the source manifest; returns one line per problem (empty when it is fine).
pub fn check_manifest(manifest: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, text: String| problems.push(format!("`{field}`: {text}"));

    if manifest.get("manifest_version").and_then(Value::as_u64) != Some(3) {
        problem("manifest_version", "must be 3 (Manifest V3)".into());
    }
    match manifest.get("name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => {}
        _ => problem("name", "must be a non-empty string".into()),
    }
    let csp = manifest
        .pointer("/content_security_policy/extension_pages")
        .and_then(Value::as_str);
    match csp {
        None => problem(
            "content_security_policy.extension_pages",
            "missing; it must allow 'wasm-unsafe-eval' so the Rust core can load".into(),
        ),
        Some(csp) => {
            if !csp.contains("'wasm-unsafe-eval'") {
                problem(
                    "content_security_policy.extension_pages",
                    "must contain 'wasm-unsafe-eval' (WebAssembly is blocked otherwise)".into(),
                );
            }
            if csp.contains("'unsafe-eval'") || csp.contains("'unsafe-inline'") {
                problem(
                    "content_security_policy.extension_pages",
                    "must not allow 'unsafe-eval' or 'unsafe-inline'".into(),
                );
            }
        }
    }
    for (field, broad_allowed) in [
        ("host_permissions", false),
        ("optional_host_permissions", true),
    ] {
        match manifest.get(field) {
            None => {}
            Some(Value::Array(patterns)) => {
                for pattern in patterns {
                    match pattern.as_str() {
                        Some(p) if !broad_allowed && is_broad_host_pattern(p) => problem(
                            field,
                            format!(
                                "\"{p}\" would ask for every site at install; sites are granted \
                                 at run time through optional_host_permissions"
                            ),
                        ),
                        Some(_) => {}
                        None => problem(field, "every entry must be a string".into()),
                    }
                }
            }
            Some(_) => problem(field, "must be an array of match patterns".into()),
        }
    }
    if manifest.get("optional_host_permissions").is_none() {
        problem(
            "optional_host_permissions",
            "missing; per-site permissions are requested at run time from it".into(),
        );
    }
    if let Some(Value::Array(permissions)) = manifest.get("permissions") {
        for permission in permissions.iter().filter_map(Value::as_str) {
            if permission.contains("://") || permission == "<all_urls>" {
                problem(
                    "permissions",
                    format!(
                        "\"{permission}\" is a host pattern; hosts go in optional_host_permissions"
                    ),
                );
            }
        }
    }
    match manifest
        .pointer("/background/service_worker")
        .and_then(Value::as_str)
    {
        Some(_) => {
            if manifest.pointer("/background/type").and_then(Value::as_str) != Some("module") {
                problem(
                    "background.type",
                    "must be \"module\" (the loader imports the Wasm glue)".into(),
                );
            }
        }
        None => problem(
            "background.service_worker",
            "missing; the packaging step derives Firefox's background.scripts from it".into(),
        ),
    }
    let widget_entry = manifest
        .get("web_accessible_resources")
        .and_then(Value::as_array)
        .and_then(|entries| {
            entries.iter().find(|entry| {
                entry
                    .get("resources")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|r| r.as_str() == Some("widget.html")))
            })
        });
    match widget_entry {
        None => problem(
            "web_accessible_resources",
            "must list widget.html, the widget host page the content script frames".into(),
        ),
        Some(entry) if entry.get("use_dynamic_url") != Some(&Value::Bool(true)) => problem(
            "web_accessible_resources",
            "widget.html's entry must set \"use_dynamic_url\": true (a fixed address lets any \
             site tell that crm-bridge is installed)"
                .into(),
        ),
        Some(_) => {}
    }
    match manifest
        .pointer("/browser_specific_settings/gecko/id")
        .and_then(Value::as_str)
    {
        Some(id) if id.contains('@') => {}
        _ => problem(
            "browser_specific_settings.gecko.id",
            "must be an e-mail-like add-on id (Firefox needs it to keep storage across updates)"
                .into(),
        ),
    }
    let min_version = manifest
        .pointer("/browser_specific_settings/gecko/strict_min_version")
        .and_then(Value::as_str)
        .and_then(|v| v.split('.').next())
        .and_then(|major| major.parse::<u32>().ok());
    if min_version.is_none_or(|v| v < MIN_FIREFOX_VERSION) {
        problem(
            "browser_specific_settings.gecko.strict_min_version",
            format!("must be at least \"{MIN_FIREFOX_VERSION}.0\""),
        );
    }
    problems
}

/// Whether a match pattern reaches every site (or every site under a top-level domain).
pub fn is_broad_host_pattern(pattern: &str) -> bool {
    if pattern == "<all_urls>" {
        return true;
    }
    let Some((_, rest)) = pattern.split_once("://") else {
        return true;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    host.is_empty() || host == "*" || host.strip_prefix("*.").is_some_and(|h| !h.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Value {
        serde_json::from_str(include_str!("../manifest.json")).unwrap()
    }

    #[test]
    fn the_shipped_manifest_passes() {
        assert_eq!(check_manifest(&good()), Vec::<String>::new());
    }

    #[test]
    fn each_problem_names_its_field() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/manifest_version", Value::from(2), "`manifest_version`"),
            (
                "/content_security_policy/extension_pages",
                Value::from("script-src 'self'"),
                "`content_security_policy.extension_pages`",
            ),
            (
                "/host_permissions",
                serde_json::json!(["<all_urls>"]),
                "`host_permissions`",
            ),
            (
                "/host_permissions",
                serde_json::json!(["*://*/*"]),
                "`host_permissions`",
            ),
            (
                "/background/type",
                Value::from("classic"),
                "`background.type`",
            ),
            (
                "/browser_specific_settings/gecko/strict_min_version",
                Value::from("109.0"),
                "`browser_specific_settings.gecko.strict_min_version`",
            ),
            (
                "/web_accessible_resources",
                serde_json::json!([]),
                "`web_accessible_resources`",
            ),
            (
                "/web_accessible_resources/0/use_dynamic_url",
                Value::from(false),
                "`web_accessible_resources`",
            ),
        ];
        for (pointer, value, field) in cases {
            let mut manifest = good();
            *manifest
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{pointer}")) = value;
            let problems = check_manifest(&manifest);
            assert!(
                problems.iter().any(|p| p.starts_with(field)),
                "{pointer}: {problems:?}"
            );
        }
    }

    #[test]
    fn malformed_json_says_where() {
        let err = check_manifest_text("{\n  \"name\": \n}").unwrap_err();
        assert!(err[0].contains("line 3"), "{err:?}");
    }

    #[test]
    fn broad_patterns_are_recognised() {
        for broad in [
            "<all_urls>",
            "*://*/*",
            "http://*/*",
            "https://*.com/*",
            "https:///*",
        ] {
            assert!(is_broad_host_pattern(broad), "{broad}");
        }
        for narrow in [
            "https://crm.example.com/*",
            "https://*.example.com/*",
            "http://127.0.0.1/*",
        ] {
            assert!(!is_broad_host_pattern(narrow), "{narrow}");
        }
    }
}
