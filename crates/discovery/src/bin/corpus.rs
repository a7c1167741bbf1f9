//! Scores discovery on the page corpus: reads the walker's evidence for each page
//! (`target/corpus/<page>.json`, written by `tests/corpus/collect.mjs`) and the expected
//! contacts (`tests/fixtures/pages/<page>.json`), and prints precision and recall over
//! (name, E.164 number) pairs. Exits 1 below the targets (precision 0.98, recall 0.95), or
//! when a page marked `"exact"` (the hostile ones) is not found exactly.
//!
//! `cargo run -p crm-discovery --bin corpus -- [evidence dir] [pages dir] [--json]`

use crm_bridge::protocol::evidence::PageEvidence;
use crm_discovery::{interpret, Context};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

const PRECISION_TARGET: f64 = 0.98;
const RECALL_TARGET: f64 = 0.95;

#[derive(Deserialize)]
struct Expected {
    contacts: Vec<ExpectedContact>,
    #[serde(default)]
    context: Option<Context>,
    /// Hostile pages (comments, notes, posts): any unexpected or missed pair fails the run,
    /// whatever the totals.
    #[serde(default)]
    exact: bool,
}

#[derive(Deserialize)]
struct ExpectedContact {
    name: String,
    phones: Vec<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let mut paths = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let evidence_dir = paths.next().unwrap_or_else(|| root.join("target/corpus"));
    let pages_dir = paths
        .next()
        .unwrap_or_else(|| root.join("tests/fixtures/pages"));
    let mut names: Vec<String> = match std::fs::read_dir(&pages_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".html").map(str::to_owned))
            .collect(),
        Err(err) => {
            eprintln!("{}: {err}", pages_dir.display());
            return ExitCode::FAILURE;
        }
    };
    names.sort();
    let (mut found_total, mut expected_total, mut right_total) = (0usize, 0usize, 0usize);
    let mut problems = 0;
    for name in &names {
        let read = |path: PathBuf| {
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
        };
        let loaded = read(evidence_dir.join(format!("{name}.json"))).and_then(|evidence| {
            let expected = read(pages_dir.join(format!("{name}.json")))?;
            let evidence: PageEvidence =
                serde_json::from_str(&evidence).map_err(|e| format!("{name} evidence: {e}"))?;
            let expected: Expected =
                serde_json::from_str(&expected).map_err(|e| format!("{name} expected: {e}"))?;
            Ok((evidence, expected))
        });
        let (evidence, expected) = match loaded {
            Ok(pair) => pair,
            Err(err) => {
                eprintln!("{err} (run tests/corpus/collect.mjs first)");
                problems += 1;
                continue;
            }
        };
        let context = expected.context.clone().unwrap_or(Context {
            locale: Some("en-US".into()),
            ..Context::default()
        });
        let found = match interpret(&evidence, &context) {
            Ok(found) => found,
            Err(err) => {
                eprintln!("{name}: {err}");
                problems += 1;
                continue;
            }
        };
        let pairs = |items: Vec<(String, String)>| items.into_iter().collect::<BTreeSet<_>>();
        let got = pairs(
            found
                .contacts
                .iter()
                .flat_map(|c| {
                    c.phone_numbers
                        .iter()
                        .map(|p| (c.name.clone(), p.phone_number.clone()))
                })
                .collect(),
        );
        let want = pairs(
            expected
                .contacts
                .iter()
                .flat_map(|c| c.phones.iter().map(|p| (c.name.clone(), p.clone())))
                .collect(),
        );
        let right = got.intersection(&want).count();
        found_total += got.len();
        expected_total += want.len();
        right_total += right;
        if right != got.len() || right != want.len() {
            if expected.exact {
                println!("{name} must be exact:");
                problems += 1;
            } else {
                println!("{name}:");
            }
            for extra in got.difference(&want) {
                println!("  unexpected {} {}", extra.0, extra.1);
            }
            for missed in want.difference(&got) {
                println!("  missed     {} {}", missed.0, missed.1);
            }
        }
    }
    let precision = if found_total == 0 {
        1.0
    } else {
        right_total as f64 / found_total as f64
    };
    let recall = if expected_total == 0 {
        1.0
    } else {
        right_total as f64 / expected_total as f64
    };
    if json {
        println!(
            "{}",
            serde_json::json!({ "pages": names.len(), "pairsExpected": expected_total, "pairsFound": found_total,
                "pairsRight": right_total, "precision": precision, "recall": recall })
        );
    }
    println!(
        "corpus: {} pages, {expected_total} expected (name, number) pairs, {found_total} found, {right_total} right: precision {precision:.3} (target {PRECISION_TARGET}), recall {recall:.3} (target {RECALL_TARGET})",
        names.len()
    );
    if problems > 0 || precision < PRECISION_TARGET || recall < RECALL_TARGET {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
