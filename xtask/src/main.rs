//! `cargo xtask <command>`: the build steps that are more than one command.
//!
//! - `dist [--dev]`: wasm-pack build, then `dist/chrome`, `dist/firefox` and their store zips.
//! - `package`: only the packaging half of `dist` (the Wasm in `target/pkg` is reused).
//! - `profile --browser chrome|firefox --config FILE --out DIR`: a development copy with a
//!   preset and the preset's sites pre-granted (tests and `make run`; never shipped).
//! - `check-manifest FILE`: the build-time manifest rules on any file.

mod manifest;
mod package;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dist") => build_wasm(args.iter().any(|a| a == "--dev")).and_then(|_| package::dist()),
        Some("package") => package::dist(),
        Some("profile") => profile(&args[1..]),
        Some("check-manifest") => check_manifest(args.get(1)),
        _ => Err(
            "usage: cargo xtask dist [--dev] | package | profile --browser B --config F --out D | \
             check-manifest FILE"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the crate that holds `manifest.json`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Builds the two Wasm modules and their JS glue into `target/pkg` with wasm-pack, offline:
/// the extension (`crm_bridge`, loaded by every context) and discovery (`crm_discovery`, with
/// libphonenumber, loaded by the background only when a page's evidence is read).
fn build_wasm(dev: bool) -> Result<(), String> {
    build_module(".", "crm_bridge", dev)?;
    build_module("crates/discovery", "crm_discovery", dev)
}

fn build_module(crate_dir: &str, out_name: &str, dev: bool) -> Result<(), String> {
    let out_dir = root().join("target/pkg");
    let mut command = Command::new("wasm-pack");
    command
        .current_dir(root())
        .args(["build", crate_dir, "--target", "web"]);
    // Never let wasm-pack download binaries: setup installs them (GitHub is unreachable here).
    command.args(["--mode", "no-install", "--no-typescript", "--no-pack"]);
    command
        .arg("--out-dir")
        .arg(&out_dir)
        .args(["--out-name", out_name]);
    command.arg(if dev { "--dev" } else { "--release" });
    let status = command
        .status()
        .map_err(|err| format!("cannot run wasm-pack (run `make setup`): {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wasm-pack failed for {out_name} ({status})"))
    }
}

fn check_manifest(path: Option<&String>) -> Result<(), String> {
    let path = path.ok_or("check-manifest needs a file")?;
    let text = std::fs::read_to_string(path).map_err(|err| format!("{path}: {err}"))?;
    crm_bridge::manifest_rules::check_manifest_text(&text)
        .map(|_| println!("{path}: ok"))
        .map_err(|problems| format!("{path} is not shippable:\n  - {}", problems.join("\n  - ")))
}

fn profile(args: &[String]) -> Result<(), String> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .ok_or_else(|| format!("profile needs {flag}"))
    };
    let browser = package::Browser::from_name(value("--browser")?)?;
    let config = std::fs::read_to_string(value("--config")?)
        .map_err(|err| format!("cannot read the config: {err}"))?;
    package::dev_profile(browser, &config, Path::new(value("--out")?))
}
