//! Every UI string lives in `_locales`: each key the code uses exists, non-empty, in every
//! language, and all languages have the same keys.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The quoted keys that follow `marker` in `text` (e.g. `platform::message("` → key).
fn keys_after(text: &str, marker: &str, quote: char) -> Vec<String> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            rest.find(quote).map(|end| rest[..end].to_owned())
        })
        .collect()
}

fn used_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let read = |path: &str| std::fs::read_to_string(root().join(path)).unwrap();
    for file in [
        "src/entry/widget_host.rs",
        "src/entry/popup.rs",
        "src/entry/popup_import.rs",
        "src/entry/options.rs",
        "src/entry/options_contacts.rs",
        "src/entry/options_webhook.rs",
    ] {
        keys.extend(keys_after(&read(file), "platform::message(\"", '"'));
    }
    keys.extend(keys_after(&read("extension/content.js"), "text('", '\''));
    for page in ["extension/popup.html", "extension/options.html"] {
        keys.extend(keys_after(&read(page), "data-i18n=\"", '"'));
    }
    keys.extend(keys_after(&read("manifest.json"), "__MSG_", '_'));
    keys
}

#[test]
fn every_used_string_is_translated_in_every_language() {
    let used = used_keys();
    assert!(used.len() >= 20, "found only {used:?}");
    let dir = root().join("extension/_locales");
    let mut languages = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let messages: Value =
            serde_json::from_str(&std::fs::read_to_string(path.join("messages.json")).unwrap())
                .unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for key in &used {
            let text = messages[key]["message"].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{name}: \"{key}\" is missing");
        }
        let keys: BTreeSet<String> = messages.as_object().unwrap().keys().cloned().collect();
        languages.push((name, keys));
    }
    assert!(
        languages.len() >= 2,
        "English plus at least one other language"
    );
    let (first, first_keys) = &languages[0];
    for (name, keys) in &languages[1..] {
        assert_eq!(keys, first_keys, "{name} and {first} differ");
    }
}
