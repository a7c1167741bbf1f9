//! Scores discovery on the page corpus: reads the walker's evidence for each page
//! (`target/corpus/<page>.json`, written by `tests/corpus/collect.mjs`) and the expected
//! contacts (`<half>/<page>.json`), and prints precision and recall over (name, E.164 number)
//! pairs, and how many found contacts carry exactly the expected name, for each half of the
//! corpus apart: `tests/fixtures/pages` (the detectors are tuned on it) and
//! `tests/fixtures/held-out` (never looked at while changing detectors; docs/discovery.md
//! "Corpus"). Exits 1 when the tuned half is below the targets (precision 0.98, recall 0.95),
//! when the held-out half is below its floor (`HELD_OUT_FLOOR`, raised as detectors improve,
//! until it is the same targets), or when a page marked `"exact"` (the hostile ones) is not
//! found exactly.
//!
//! `cargo run -p crm-discovery --bin corpus -- [evidence dir] [--json] [--show <page>]`
//! (`--show` prints every contact found on one page of the tuned half, with its kinds.)

use crm_bridge::protocol::evidence::PageEvidence;
use crm_discovery::{interpret, Context};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The bar of the tuned half (and the goal of the held-out half).
const TARGET: Bar = Bar {
    precision: 0.98,
    recall: 0.95,
};
/// What the held-out half must hold today: measured on it, so a change that makes discovery
/// worse on pages it was not tuned to fails; raised to [`TARGET`] as the detectors get there.
/// (Lowered from 0.97 / 0.97 when six pages built to vendors' markup joined the half: they
/// measured it at 0.946 / 0.917.)
const HELD_OUT_FLOOR: Bar = Bar {
    precision: 0.94,
    recall: 0.91,
};

#[derive(Clone, Copy)]
struct Bar {
    precision: f64,
    recall: f64,
}

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

/// The score of one half.
#[derive(Default)]
struct Score {
    pages: usize,
    expected: usize,
    found: usize,
    right: usize,
    /// Found contacts that share a number with an expected one, and of those, how many carry
    /// its name exactly (accents and CJK kept).
    named: usize,
    named_right: usize,
    problems: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        ratio(self.right, self.found)
    }
    fn recall(&self) -> f64 {
        ratio(self.right, self.expected)
    }
    fn names(&self) -> f64 {
        ratio(self.named_right, self.named)
    }
    fn meets(&self, bar: Bar) -> bool {
        self.problems == 0 && self.precision() >= bar.precision && self.recall() >= bar.recall
    }
    fn json(&self) -> serde_json::Value {
        serde_json::json!({ "pages": self.pages, "pairsExpected": self.expected,
            "pairsFound": self.found, "pairsRight": self.right, "precision": self.precision(),
            "recall": self.recall(), "namesExact": self.names() })
    }
    fn line(&self, half: &str, bar: Bar) -> String {
        format!(
            "{half}: {} pages, {} expected (name, number) pairs, {} found, {} right: precision \
             {:.3} (bar {}), recall {:.3} (bar {}), names exact {:.3} of {}",
            self.pages,
            self.expected,
            self.found,
            self.right,
            self.precision(),
            bar.precision,
            self.recall(),
            bar.recall,
            self.names(),
            self.named
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let evidence_dir = args
        .iter()
        .enumerate()
        .find(|(at, a)| !a.starts_with("--") && (*at == 0 || args[at - 1] != "--show"))
        .map(|(_, a)| a)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/corpus"));
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|at| args.get(at + 1));
    if let Some(page) = show {
        return show_page(&evidence_dir, &root.join("tests/fixtures/pages"), page);
    }
    let tuned = score(&evidence_dir, &root.join("tests/fixtures/pages"), true);
    // The held-out half's misses are never printed: whoever changes detectors sees its totals only.
    let held_out = score(&evidence_dir, &root.join("tests/fixtures/held-out"), false);
    if json {
        println!(
            "{}",
            serde_json::json!({ "tuned": tuned.json(), "heldOut": held_out.json() })
        );
    }
    println!("{}", tuned.line("tuned", TARGET));
    println!("{}", held_out.line("held-out", HELD_OUT_FLOOR));
    if tuned.meets(TARGET) && held_out.meets(HELD_OUT_FLOOR) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A page's walker evidence and its expected contacts.
fn load(
    evidence_dir: &Path,
    pages_dir: &Path,
    name: &str,
) -> Result<(PageEvidence, Expected), String> {
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let evidence = read(evidence_dir.join(format!("{name}.json")))?;
    let expected = read(pages_dir.join(format!("{name}.json")))?;
    let evidence: PageEvidence =
        serde_json::from_str(&evidence).map_err(|e| format!("{name} evidence: {e}"))?;
    let expected: Expected =
        serde_json::from_str(&expected).map_err(|e| format!("{name} expected: {e}"))?;
    Ok((evidence, expected))
}

/// What discovery is told besides the page: the page's own context, else an en-US browser.
fn context_of(expected: &Expected) -> Context {
    expected.context.clone().unwrap_or(Context {
        locale: Some("en-US".into()),
        ..Context::default()
    })
}

/// Prints what discovery found on one page of the tuned half (never of the held-out half).
fn show_page(evidence_dir: &Path, pages_dir: &Path, name: &str) -> ExitCode {
    let run = || -> Result<(), String> {
        let (evidence, expected) = load(evidence_dir, pages_dir, name)?;
        let context = context_of(&expected);
        let found = interpret(&evidence, &context)?;
        for c in &found.contacts {
            let phones: Vec<String> = c
                .phone_numbers
                .iter()
                .map(|p| format!("{} ({})", p.phone_number, p.phone_type))
                .collect();
            println!("{} [{}] {}", c.name, c.id, phones.join(", "));
        }
        println!("unplaced: {:?}", found.unplaced);
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

/// Scores the pages of one half, printing each page's misses when `show`.
fn score(evidence_dir: &Path, pages_dir: &Path, show: bool) -> Score {
    let mut score = Score::default();
    let mut names: Vec<String> = match std::fs::read_dir(pages_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".html").map(str::to_owned))
            .collect(),
        Err(err) => {
            eprintln!("{}: {err}", pages_dir.display());
            score.problems += 1;
            return score;
        }
    };
    names.sort();
    score.pages = names.len();
    for name in &names {
        let loaded = load(evidence_dir, pages_dir, name);
        let (evidence, expected) = match loaded {
            Ok(pair) => pair,
            Err(err) => {
                eprintln!("{err} (run tests/corpus/collect.mjs first)");
                score.problems += 1;
                continue;
            }
        };
        let context = context_of(&expected);
        let found = match interpret(&evidence, &context) {
            Ok(found) => found,
            Err(err) => {
                eprintln!("{name}: {err}");
                score.problems += 1;
                continue;
            }
        };
        let got: BTreeSet<(String, String)> = found
            .contacts
            .iter()
            .flat_map(|c| {
                c.phone_numbers
                    .iter()
                    .map(|p| (c.name.clone(), p.phone_number.clone()))
            })
            .collect();
        let want: BTreeSet<(String, String)> = expected
            .contacts
            .iter()
            .flat_map(|c| c.phones.iter().map(|p| (c.name.clone(), p.clone())))
            .collect();
        let owner: BTreeMap<&str, &str> = expected
            .contacts
            .iter()
            .flat_map(|c| c.phones.iter().map(|p| (p.as_str(), c.name.as_str())))
            .collect();
        for contact in &found.contacts {
            let expected_name = contact
                .phone_numbers
                .iter()
                .find_map(|p| owner.get(p.phone_number.as_str()));
            if let Some(expected_name) = expected_name {
                score.named += 1;
                score.named_right += usize::from(contact.name == *expected_name);
            }
        }
        let right = got.intersection(&want).count();
        score.found += got.len();
        score.expected += want.len();
        score.right += right;
        if (right != got.len() || right != want.len()) && (show || expected.exact) {
            if !show {
                println!("{name} (held out) must be exact");
                score.problems += 1;
                continue;
            }
            if expected.exact {
                println!("{name} must be exact:");
                score.problems += 1;
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
    score
}
