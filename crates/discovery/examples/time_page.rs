//! Times reading one evidence file natively: `cargo run --release -p crm-discovery --example
//! time_page -- target/bench/table-5000.evidence.json`.
fn main() {
    let path = std::env::args().nth(1).expect("an evidence file");
    let text = std::fs::read_to_string(path).expect("readable");
    let evidence: crm_bridge::protocol::evidence::PageEvidence =
        serde_json::from_str(&text).unwrap();
    let context = crm_discovery::Context {
        locale: Some("en-US".into()),
        ..Default::default()
    };
    for round in 0..3 {
        let started = std::time::Instant::now();
        let found = crm_discovery::interpret(&evidence, &context).unwrap();
        println!(
            "round {round}: {} contacts in {:?}",
            found.contacts.len(),
            started.elapsed()
        );
    }
}
