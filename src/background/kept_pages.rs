//! The last evidence each tab's walker sent, so its rescans can send only the rows that changed
//! (`crate::protocol::evidence_table`). Bounded: a few tabs, the most recent kept; a worker
//! restart forgets them all, and the walker then sends its page whole again.

use crate::protocol::evidence::PageEvidence;
use crate::protocol::evidence_table::EvidenceDelta;
use std::collections::VecDeque;

/// Tabs whose last evidence is kept (a 5,000-row list is ≈1 MB of compact evidence).
pub const KEPT_TABS: usize = 4;

/// One tab's last full evidence, patched by every rescan since.
#[derive(Debug)]
struct Kept {
    tab: i64,
    scan: u64,
    evidence: PageEvidence,
}

/// The kept pages, most recent last.
#[derive(Debug, Default)]
pub struct KeptPages {
    pages: VecDeque<Kept>,
}

impl KeptPages {
    /// Keeps `evidence` as tab `tab`'s page, sent as scan `scan` (replacing what it had).
    /// Only pages with tables are kept: rescans patch table rows, nothing else.
    pub fn keep(&mut self, tab: i64, scan: u64, evidence: &PageEvidence) {
        self.forget(tab);
        if evidence.tables.is_empty() {
            return;
        }
        if self.pages.len() >= KEPT_TABS {
            self.pages.pop_front();
        }
        self.pages.push_back(Kept {
            tab,
            scan,
            evidence: evidence.clone(),
        });
    }

    /// Tab `tab`'s page with the rescan applied, or `None` when that page is not kept (or the
    /// rescan does not fit it, which forgets it): the walker must send it whole.
    pub fn patched(&mut self, tab: i64, delta: EvidenceDelta) -> Option<PageEvidence> {
        let at = self
            .pages
            .iter()
            .position(|kept| kept.tab == tab && kept.scan == delta.base)?;
        match self.pages[at].evidence.apply_delta(delta) {
            Ok(()) => {
                let kept = self.pages.remove(at)?;
                let evidence = kept.evidence.clone();
                self.pages.push_back(kept);
                Some(evidence)
            }
            Err(_) => {
                self.pages.remove(at);
                None
            }
        }
    }

    /// Forgets tab `tab`'s page (its rescan could not be stored: the next one is sent whole).
    pub fn forget(&mut self, tab: i64) {
        self.pages.retain(|kept| kept.tab != tab);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::evidence_table::{CellEvidence, RowEvidence, RowPatch, TableEvidence};

    fn list(url: &str) -> PageEvidence {
        PageEvidence {
            version: 2,
            url: url.into(),
            scopes: vec![Default::default()],
            tables: vec![TableEvidence {
                parent: 0,
                scope_at: 1,
                field_at: 0,
                headers: vec!["Name".into()],
                rows: vec![RowEvidence {
                    cells: vec![CellEvidence::Text("Ada".into())],
                    ..RowEvidence::default()
                }],
            }],
            ..PageEvidence::default()
        }
    }

    fn rename(base: u64, url: &str, name: &str) -> EvidenceDelta {
        EvidenceDelta {
            base,
            url: url.into(),
            rows: vec![RowPatch {
                scope: 1,
                row: RowEvidence {
                    cells: vec![CellEvidence::Text(name.into())],
                    ..RowEvidence::default()
                },
            }],
        }
    }

    fn first_name(evidence: &PageEvidence) -> String {
        evidence.clone().expanded().unwrap().fields[0].text.clone()
    }

    #[test]
    fn rescans_patch_the_tabs_last_page_one_after_another() {
        let mut kept = KeptPages::default();
        kept.keep(7, 100, &list("https://x.test/a"));
        let once = kept
            .patched(7, rename(100, "https://x.test/a", "Bo"))
            .unwrap();
        assert_eq!(first_name(&once), "Bo");
        let twice = kept
            .patched(7, rename(100, "https://x.test/a", "Cy"))
            .unwrap();
        assert_eq!(first_name(&twice), "Cy");
    }

    /// Whether tab `tab`'s kept page takes a rescan against `base` of `url`.
    fn takes(kept: &mut KeptPages, tab: i64, base: u64, url: &str) -> bool {
        kept.patched(tab, rename(base, url, "Bo")).is_some()
    }

    #[test]
    fn another_scan_tab_or_page_is_not_patched() {
        let mut kept = KeptPages::default();
        kept.keep(7, 100, &list("https://x.test/a"));
        assert!(!takes(&mut kept, 7, 99, "https://x.test/a"));
        assert!(!takes(&mut kept, 8, 100, "https://x.test/a"));
        assert!(!takes(&mut kept, 7, 100, "https://x.test/b"));
        assert!(
            !takes(&mut kept, 7, 100, "https://x.test/a"),
            "a delta that did not fit forgets the page"
        );
    }

    #[test]
    fn a_few_tabs_are_kept_and_pages_without_tables_not_at_all() {
        let mut kept = KeptPages::default();
        for tab in 0..=KEPT_TABS as i64 {
            kept.keep(tab, 1, &list("https://x.test/a"));
        }
        assert!(
            !takes(&mut kept, 0, 1, "https://x.test/a"),
            "the oldest went"
        );
        assert!(takes(&mut kept, 1, 1, "https://x.test/a"));
        let mut plain = list("https://x.test/a");
        plain.tables.clear();
        kept.keep(1, 2, &plain);
        assert!(!takes(&mut kept, 1, 2, "https://x.test/a"));
        kept.keep(2, 3, &list("https://x.test/a"));
        kept.forget(2);
        assert!(!takes(&mut kept, 2, 3, "https://x.test/a"));
    }
}
