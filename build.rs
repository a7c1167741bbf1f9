//! Compile-time check of `manifest.json`: a manifest that would ship broken or ask for too much
//! fails the build with a message naming the field.

#[allow(dead_code)] // build.rs uses only the checks; the rest of the module serves the crate.
#[path = "src/manifest_rules.rs"]
mod manifest_rules;

fn main() {
    println!("cargo:rerun-if-changed=manifest.json");
    println!("cargo:rerun-if-changed=src/manifest_rules.rs");
    let text = match std::fs::read_to_string("manifest.json") {
        Ok(text) => text,
        Err(err) => fail(&[format!("cannot read manifest.json: {err}")]),
    };
    if let Err(problems) = manifest_rules::check_manifest_text(&text) {
        fail(&problems);
    }
}

fn fail(problems: &[String]) -> ! {
    eprintln!("\nmanifest.json is not shippable:");
    for problem in problems {
        eprintln!("  - {problem}");
        println!("cargo:warning=manifest.json: {problem}");
    }
    std::process::exit(1);
}
