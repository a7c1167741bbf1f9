//! Packaging: `dist/<browser>/` folders and store archives from `extension/`, `icons/`, the Wasm
//! in `target/pkg/` and the derived manifests; plus development copies with a preset.

pub use crate::manifest::Browser;
use crate::{manifest, root};
use crm_bridge::settings::{Settings, ALL_SITES_PATTERNS};
use crm_bridge::sites::SitePattern;
use serde_json::{json, Value};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The Wasm build outputs the extension loads (wasm-pack also writes files we do not ship).
const PKG_FILES: [&str; 4] = [
    "crm_bridge.js",
    "crm_bridge_bg.wasm",
    "crm_discovery.js",
    "crm_discovery_bg.wasm",
];

/// Writes `dist/chrome`, `dist/firefox` and `dist/crm-bridge-<browser>-<version>.zip`.
pub fn dist() -> Result<(), String> {
    let root = root();
    let text = read(&root.join("manifest.json"))?;
    let source = crm_bridge::manifest_rules::check_manifest_text(&text)
        .map_err(|p| format!("manifest.json is not shippable:\n  - {}", p.join("\n  - ")))?;
    let pkg = root.join("target/pkg");
    for file in PKG_FILES {
        if !pkg.join(file).is_file() {
            return Err(format!(
                "{} is missing; run `cargo xtask dist`",
                pkg.join(file).display()
            ));
        }
    }
    let version = crm_bridge::VERSION;
    for browser in Browser::ALL {
        let out = root.join("dist").join(browser.name());
        if out.exists() {
            fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
        copy_tree(&root.join("extension"), &out)?;
        // The side panel is the widget host under a name that is NOT web-accessible: no web page
        // can frame or open it, so it admits itself (src/entry/widget_host.rs).
        fs::copy(out.join("widget.html"), out.join("panel.html"))
            .map_err(|err| format!("panel.html: {err}"))?;
        if browser == Browser::Firefox {
            // Chrome's offscreen page reader; Firefox's event page reads pages itself.
            for file in ["offscreen.html", "offscreen.js"] {
                fs::remove_file(out.join(file)).map_err(|err| format!("{file}: {err}"))?;
            }
        }
        copy_matching(&root.join("icons"), &out.join("icons"), |name| {
            name.ends_with(".png")
        })?;
        copy_matching(&pkg, &out.join("pkg"), |name| PKG_FILES.contains(&name))?;
        write_json(
            &out.join("manifest.json"),
            &manifest::for_browser(&source, browser, version),
        )?;
        let archive = root
            .join("dist")
            .join(format!("crm-bridge-{}-{version}.zip", browser.name()));
        zip_tree(&out, &archive)?;
        println!(
            "{:<8} {}  ({} bytes)",
            browser.name(),
            archive.display(),
            fs::metadata(&archive).map(|m| m.len()).unwrap_or(0)
        );
    }
    Ok(())
}

/// A development copy of `dist/<browser>` at `out`: `preset.json` holds the validated settings,
/// and the preset's sites (or all sites, for the all-sites mode) are pre-granted in
/// `host_permissions` (so no permission prompt is needed in automation). Firefox also gets `out.xpi` for `installAddon`.
pub fn dev_profile(browser: Browser, config: &str, out: &Path) -> Result<(), String> {
    let settings = Settings::from_json(config).map_err(|err| err.to_string())?;
    let source = root().join("dist").join(browser.name());
    if !source.join("manifest.json").is_file() {
        return Err(format!(
            "{} is missing; run `make dist` first",
            source.display()
        ));
    }
    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    copy_tree(&source, out)?;
    let preset = serde_json::to_value(&settings).map_err(|e| e.to_string())?;
    write_json(&out.join("preset.json"), &preset)?;
    // `devGrantedSites`: sites granted but not switched on, so tests can switch them on through
    // the real popup flow (a granted origin gets no permission prompt).
    let extra: Value = serde_json::from_str(config).map_err(|e| e.to_string())?;
    let mut granted = settings.site_match_patterns();
    for site in extra["devGrantedSites"].as_array().into_iter().flatten() {
        let site = site.as_str().ok_or("devGrantedSites holds site strings")?;
        let pattern = SitePattern::parse(site).map_err(|err| err.to_string())?;
        granted.push(pattern.match_pattern());
    }
    // The all-sites mode in the preset, or `devGrantAllSites` (tests that switch it on through
    // the options page): access to all sites is granted at install, as a user's "allow" would.
    if settings.all_sites.on || extra["devGrantAllSites"] == json!(true) {
        granted.extend(ALL_SITES_PATTERNS.map(String::from));
    }
    let manifest_path = out.join("manifest.json");
    let mut manifest: Value =
        serde_json::from_str(&read(&manifest_path)?).map_err(|e| e.to_string())?;
    manifest["host_permissions"] = json!(granted);
    write_json(&manifest_path, &manifest)?;
    if browser == Browser::Firefox {
        zip_tree(out, &out.with_extension("xpi"))?;
    }
    println!("{}", out.display());
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))
}

fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    fs::write(path, text + "\n").map_err(|err| format!("{}: {err}", path.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    copy_matching(from, to, |_| true)
}

fn copy_matching(from: &Path, to: &Path, keep: impl Fn(&str) -> bool + Copy) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|err| format!("{}: {err}", to.display()))?;
    for entry in fs::read_dir(from).map_err(|err| format!("{}: {err}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let target = to.join(&name);
        if entry.path().is_dir() {
            copy_matching(&entry.path(), &target, keep)?;
        } else if keep(&name) {
            fs::copy(entry.path(), &target)
                .map_err(|err| format!("{}: {err}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// A reproducible archive: sorted entries, fixed timestamps, paths relative to `dir`.
fn zip_tree(dir: &Path, archive: &Path) -> Result<(), String> {
    let file = fs::File::create(archive).map_err(|err| format!("{}: {err}", archive.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for path in files_below(dir) {
        let name = path
            .strip_prefix(dir)
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        zip.start_file(name, options).map_err(|e| e.to_string())?;
        zip.write_all(&fs::read(&path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}
