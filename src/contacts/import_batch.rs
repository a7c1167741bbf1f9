//! The rules for an import kept as a whole ([`ImportBatch`]): its first chunk opens it, the
//! rest must follow in order, for the same site, while it is open; one is open at a time.
//! The IndexedDB store and the in-memory fake both follow them.

use crate::protocol::bridge::ImportBatch;

/// The batch a store is writing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBatch {
    /// The sender's id for it.
    pub id: String,
    /// The site its contacts belong to.
    pub site: String,
    /// The part expected next.
    pub next_part: u32,
}

impl OpenBatch {
    /// The batch a first chunk opens.
    pub fn opened_by(site: &str, batch: &ImportBatch) -> Self {
        Self {
            id: batch.id.clone(),
            site: site.to_owned(),
            next_part: 0,
        }
    }
}

/// What a chunk does to the open batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchStep {
    /// It opens a new batch.
    Open,
    /// It is the open batch's next part.
    Continue,
}

/// Why a chunk was refused, and whether the open batch ends with it (its chunk claimed that
/// batch but broke its order: nothing of the batch is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// For the user.
    pub message: String,
    /// Whether the open batch is given up.
    pub ends_open: bool,
}

/// Checks a chunk of `site` against the batch open now.
pub fn admit(
    open: Option<&OpenBatch>,
    site: &str,
    batch: &ImportBatch,
) -> Result<BatchStep, Refusal> {
    let refuse = |message: &str, ends_open: bool| {
        Err(Refusal {
            message: message.to_owned(),
            ends_open,
        })
    };
    match open {
        None if batch.part == 0 => Ok(BatchStep::Open),
        None => refuse(
            "the import stopped before its last part arrived; nothing of it was kept",
            false,
        ),
        Some(open) if open.id != batch.id => refuse(
            "another import is being written; try again when it has finished",
            false,
        ),
        Some(open) if open.site != site => refuse(
            "all parts of an import must be for one site; nothing of it was kept",
            true,
        ),
        Some(open) if open.next_part != batch.part => refuse(
            "the import's parts arrived out of order; nothing of it was kept",
            true,
        ),
        Some(_) => Ok(BatchStep::Continue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &str, part: u32) -> ImportBatch {
        ImportBatch {
            id: id.into(),
            part,
            last: false,
        }
    }

    fn open(id: &str, next_part: u32) -> OpenBatch {
        OpenBatch {
            id: id.into(),
            site: "https://crm.example".into(),
            next_part,
        }
    }

    const SITE: &str = "https://crm.example";

    #[test]
    fn a_first_part_opens_and_the_next_parts_follow_in_order() {
        assert_eq!(admit(None, SITE, &part("a", 0)), Ok(BatchStep::Open));
        assert_eq!(OpenBatch::opened_by(SITE, &part("a", 0)), open("a", 0));
        assert_eq!(
            admit(Some(&open("a", 1)), SITE, &part("a", 1)),
            Ok(BatchStep::Continue)
        );
    }

    #[test]
    fn a_later_part_with_nothing_open_means_the_import_was_given_up() {
        let refused = admit(None, SITE, &part("a", 3)).unwrap_err();
        assert!(refused.message.contains("nothing of it was kept"));
        assert!(!refused.ends_open);
    }

    #[test]
    fn a_second_import_waits_its_turn_without_harming_the_open_one() {
        for part_of_other in [0, 2] {
            let refused = admit(Some(&open("a", 2)), SITE, &part("b", part_of_other)).unwrap_err();
            assert!(refused.message.contains("another import"));
            assert!(!refused.ends_open);
        }
    }

    #[test]
    fn a_part_out_of_order_or_for_another_site_gives_the_open_import_up() {
        let skipped = admit(Some(&open("a", 2)), SITE, &part("a", 3)).unwrap_err();
        assert!(skipped.message.contains("out of order") && skipped.ends_open);
        let again = admit(Some(&open("a", 2)), SITE, &part("a", 0)).unwrap_err();
        assert!(again.ends_open);
        let elsewhere = admit(Some(&open("a", 2)), "https://other.example", &part("a", 2));
        assert!(elsewhere.unwrap_err().ends_open);
    }
}
