//! Core benchmarks (`make bench`, or `cargo bench --bench core`): the plain-Rust work behind the
//! browser figures of `tests/bench/` — an import chunk's CPU in the worker, the in-memory index
//! at 100,000 contacts (search, match, a full-sync page), number keys and call-log merging — so
//! a change to the core shows its cost here, without a browser's noise.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BatchSize, Criterion, Throughput};
    use crm_bridge::contacts::memory_index::MemoryIndex;
    use crm_bridge::contacts::number_key::NumberKey;
    use crm_bridge::contacts::record::ContactRecord;
    use crm_bridge::contacts::search::SearchQuery;
    use crm_bridge::contacts::{Contact, ContactPhone};
    use crm_bridge::logging::merge::{merge_call, ContactLink};
    use crm_bridge::phone::match_key;
    use crm_bridge::protocol::bridge::{decode_envelope, Envelope, ImportBatch, ToBackground};
    use crm_bridge::service::requests::CallLog;
    use std::hint::black_box;

    const SITE: &str = "https://crm.example";
    /// Country code, its national digits (as tests/bench/store.mjs generates them).
    const COUNTRIES: [(&str, usize); 8] = [
        ("+1", 10),
        ("+44 20", 8),
        ("+49 30", 7),
        ("+33 1", 8),
        ("+81 3", 8),
        ("+55 11 9", 8),
        ("+91 98", 8),
        ("+61 2", 8),
    ];
    const SYLLABLES: [&str; 15] = [
        "an", "be", "ka", "lo", "mi", "no", "ra", "si", "to", "vu", "xe", "yo", "zi", "da", "fe",
    ];

    /// A deterministic generator, one seed per contact (as the browser bench's).
    struct Seeded(u64);

    impl Seeded {
        fn next(&mut self) -> usize {
            self.0 = (self.0 * 1_103_515_245 + 12_345) % 2_147_483_648;
            (self.0 >> 8) as usize
        }
        fn word(&mut self, syllables: usize) -> String {
            let mut word: String = (0..syllables)
                .map(|_| SYLLABLES[self.next() % SYLLABLES.len()])
                .collect();
            word[..1].make_ascii_uppercase();
            word
        }
        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + (self.next() % 10) as u8))
                .collect()
        }
    }

    /// Contact `i` with international numbers, as the store bench generates it.
    fn contact(i: usize) -> Contact {
        let mut seeded = Seeded((12_345 + i as u64 * 7_919) % 2_147_483_648);
        let (code, n) = COUNTRIES[i % COUNTRIES.len()];
        let (first, last) = (seeded.word(2), seeded.word(3));
        let mut phone_numbers = vec![ContactPhone {
            phone_number: format!("{code} {}", seeded.digits(n)),
            phone_type: "mobile".into(),
            display: None,
        }];
        if i % 3 == 0 {
            phone_numbers.push(ContactPhone {
                phone_number: format!("{code} {}", seeded.digits(n)),
                phone_type: "business".into(),
                display: None,
            });
        }
        Contact {
            id: i.to_string(),
            emails: vec![format!(
                "{}.{}{i}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            )],
            name: format!("{first} {last}"),
            company: Some(format!("{} Ltd", seeded.word(2))),
            phone_numbers,
            ..Contact::default()
        }
    }

    fn numbers(c: &mut Criterion) {
        let forms = [
            "+12065550134",
            "12065550134",
            "+1 (206) 555-0134",
            "(206) 555-0134 x204",
            "+44 20 7946 0018",
            "+1 206 555 0147;ext=17",
        ];
        let mut group = c.benchmark_group("numbers");
        group.throughput(Throughput::Elements(forms.len() as u64));
        group.bench_function("match_key, 6 forms", |b| {
            b.iter(|| forms.map(|n| match_key(black_box(n))))
        });
        group.bench_function("NumberKey::parse, 6 forms", |b| {
            b.iter(|| forms.map(|n| NumberKey::parse(black_box(n))))
        });
        group.finish();
    }

    /// What the worker's CPU does with one import chunk (2,000 contacts, as the options page
    /// sends): read the request, build the stored records, write them as JSON for IndexedDB.
    fn import_chunk(c: &mut Criterion) {
        let contacts: Vec<Contact> = (0..2_000).map(contact).collect();
        let text = serde_json::to_string(&Envelope {
            id: 1,
            body: ToBackground::ImportContacts {
                site: SITE.into(),
                contacts: contacts.clone(),
                batch: Some(ImportBatch {
                    id: "bench".into(),
                    part: 3,
                    last: false,
                }),
            },
        })
        .unwrap();
        let mut group = c.benchmark_group("import chunk of 2,000");
        group.throughput(Throughput::Elements(2_000));
        group.bench_function("read the request (decode_envelope)", |b| {
            b.iter(|| decode_envelope(black_box(&text)).unwrap())
        });
        group.bench_function("read it as a general request would be", |b| {
            b.iter(|| serde_json::from_str::<Envelope>(black_box(&text)).unwrap())
        });
        group.bench_function("build the records", |b| {
            b.iter_batched(
                || contacts.clone(),
                |contacts| {
                    contacts
                        .into_iter()
                        .enumerate()
                        .map(|(seq, c)| ContactRecord::live(SITE, c, seq as u64 + 1))
                        .collect::<Vec<_>>()
                },
                BatchSize::LargeInput,
            )
        });
        let records: Vec<ContactRecord> = contacts
            .iter()
            .enumerate()
            .map(|(seq, c)| ContactRecord::live(SITE, c.clone(), seq as u64 + 1))
            .collect();
        group.bench_function("write the records as JSON", |b| {
            b.iter(|| serde_json::to_string(black_box(&records)).unwrap())
        });
        group.finish();
    }

    /// The in-memory index at 100,000 contacts: what search, match and a full sync's page cost
    /// once it is built (the browser bench adds the relay and the widget around them).
    fn memory_index(c: &mut Criterion) {
        const COUNT: usize = 100_000;
        let mut index = MemoryIndex::building();
        let all: Vec<Contact> = (0..COUNT).map(contact).collect();
        for (seq, c) in all.iter().enumerate() {
            index.apply(&ContactRecord::live(SITE, c.clone(), seq as u64 + 1));
        }
        index.built();
        assert_eq!(index.len(), COUNT);
        let mut group = c.benchmark_group("memory index of 100,000");
        let query = SearchQuery::parse("ka lo").unwrap();
        group.bench_function("search two prefixes, best 25", |b| {
            b.iter(|| index.search(black_box(&query), 25))
        });
        let asked: Vec<String> = (0..30)
            .map(|i| {
                all[(i * 3_331) % COUNT].phone_numbers[0]
                    .phone_number
                    .replace(' ', "")
            })
            .collect();
        group.bench_function("match 30 numbers", |b| {
            b.iter(|| {
                let found = index.match_numbers(black_box(&asked));
                assert_eq!(found.len(), 30);
                found
            })
        });
        let from = index.nth_newest(5_000).unwrap();
        group.throughput(Throughput::Elements(1_000));
        group.bench_function("full-sync page of 1,000 as the widget's JSON", |b| {
            b.iter(|| {
                let page: Vec<Contact> = index
                    .in_sequence(from, 1_000)
                    .into_iter()
                    .filter_map(|(_, contact)| contact)
                    .collect();
                let views: Vec<_> = page.iter().map(|c| c.widget_view("crm-bridge")).collect();
                serde_json::to_string(&views).unwrap()
            })
        });
        group.finish();
    }

    /// Folding a call's log request into its journal entry: the first log, then an update.
    fn call_logging(c: &mut Criterion) {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/widget/callLoggerPath.json"))
                .unwrap();
        let log: CallLog =
            serde_json::from_value(fixture["requests"][0]["request"]["body"].clone()).unwrap();
        let unknown = || ContactLink::Unknown("no contact has this number".into());
        let first = merge_call(None, &log, unknown(), 1.0).unwrap();
        let mut group = c.benchmark_group("call logging");
        group.bench_function("first log of a call", |b| {
            b.iter(|| merge_call(None, black_box(&log), unknown(), 1.0).unwrap())
        });
        group.bench_function("an update of the logged call", |b| {
            b.iter(|| merge_call(Some(black_box(&first.entry)), &log, unknown(), 2.0).unwrap())
        });
        group.finish();
    }

    criterion_group!(benches, numbers, import_chunk, memory_index, call_logging);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
