//! What the store held, kept outside IndexedDB (`storage.local`), so that a store the browser
//! lost (a full disk, a crash, a damaged profile) is noticed and said, not found out from
//! missing call logs weeks later (issue 21). Written a few seconds after the store changes and
//! compared when a worker starts.

use crate::logging::outbox::Delivery;
use serde::{Deserialize, Serialize};

/// How much of the outbox's bodies is kept outside the store (`storage.local` holds 10 MB in
/// all for an extension): the oldest deliveries beyond it are left out, and counted.
pub const MIRROR_BYTES: usize = 2 * 1024 * 1024;

/// Counts of the store at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Census {
    /// Live contacts of every site.
    pub contacts: u64,
    /// Call and message log entries.
    pub logs: u64,
    /// Deliveries waiting to leave (not compared: each delivery removes one).
    pub waiting: u64,
    /// When it was counted (ms since the epoch).
    pub at_ms: f64,
}

/// A store that came back holding less than it did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shrunk {
    /// What the census said.
    pub before: Census,
    /// What the store holds now.
    pub now: Census,
}

impl Census {
    /// What the store lost since this census, if it lost contacts or logs. Contacts and logs
    /// are removed only by the user (forgetting a site, a replacing import), after which the
    /// census is written again within seconds; so fewer of either means the browser lost them.
    pub fn shrunk_to(&self, now: &Census) -> Option<Shrunk> {
        (now.contacts < self.contacts || now.logs < self.logs).then_some(Shrunk {
            before: *self,
            now: *now,
        })
    }
}

impl Shrunk {
    /// What the popup and Diagnostics say; `kept_outside` undelivered logs were kept outside
    /// the store and can be downloaded.
    pub fn sentence(&self, kept_outside: usize) -> String {
        let mut words = format!(
            "crm-bridge's store holds {} of the {} contacts and {} of the {} call and message \
             logs it held when last counted. If you did not remove them, the browser lost \
             them (a full disk or a crash).",
            self.now.contacts, self.before.contacts, self.now.logs, self.before.logs
        );
        if kept_outside > 0 {
            words.push_str(&format!(
                " {kept_outside} undelivered log{} kept outside the store: Options → \
                 Diagnostics → Download undelivered logs.",
                if kept_outside == 1 { " is" } else { "s are" }
            ));
        }
        words
    }
}

/// The outbox's deliveries kept outside the store until delivered: what a user can still send
/// by hand when the browser lost the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OutboxCopy {
    /// Newest first, up to [`MIRROR_BYTES`] of bodies.
    pub deliveries: Vec<Delivery>,
    /// Older deliveries that did not fit.
    pub left_out: usize,
}

impl OutboxCopy {
    /// A copy of `waiting`, newest first, bounded.
    pub fn of(mut waiting: Vec<Delivery>) -> Self {
        waiting.sort_by(|a, b| b.created.total_cmp(&a.created));
        let mut bytes = 0;
        let mut copy = OutboxCopy::default();
        for delivery in waiting {
            bytes += delivery.body.len() + delivery.label.len() + 200;
            if bytes > MIRROR_BYTES {
                copy.left_out += 1;
            } else {
                copy.deliveries.push(delivery);
            }
        }
        copy
    }

    /// What identifies the copy's content (deliveries and their revisions), to write it only
    /// when the outbox changed.
    pub fn signature(waiting: &[Delivery]) -> String {
        let mut keys: Vec<String> = waiting
            .iter()
            .map(|d| format!("{}@{}", d.key, d.revision))
            .collect();
        keys.sort();
        keys.join(",")
    }

    /// The copied deliveries the outbox no longer holds (`outbox`: its keys and revisions, as
    /// [`Self::signature`] reads them), when the store came back emptier: the browser lost them.
    pub fn missing_from(&self, outbox: &[Delivery]) -> Vec<Delivery> {
        self.deliveries
            .iter()
            .filter(|kept| {
                !outbox
                    .iter()
                    .any(|d| d.key == kept.key && d.revision >= kept.revision)
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(contacts: u64, logs: u64, waiting: u64) -> Census {
        Census {
            contacts,
            logs,
            waiting,
            at_ms: 1.0,
        }
    }

    #[test]
    fn a_store_that_came_back_emptier_is_told() {
        let before = census(120_000, 11, 2);
        let shrunk = before.shrunk_to(&census(0, 3, 0)).expect("lost");
        assert_eq!(
            shrunk.sentence(2),
            "crm-bridge's store holds 0 of the 120000 contacts and 3 of the 11 call and message \
             logs it held when last counted. If you did not remove them, the browser lost them \
             (a full disk or a crash). 2 undelivered logs are kept outside the store: Options → \
             Diagnostics → Download undelivered logs."
        );
        assert!(!shrunk.sentence(0).contains("undelivered"));
    }

    #[test]
    fn growth_and_deliveries_are_not_loss() {
        let before = census(100, 11, 5);
        assert_eq!(before.shrunk_to(&census(100, 11, 0)), None, "delivered");
        assert_eq!(before.shrunk_to(&census(150, 12, 9)), None, "grew");
        assert!(before.shrunk_to(&census(100, 10, 5)).is_some());
    }

    fn delivery(key: &str, revision: u32, created: f64, body: usize) -> Delivery {
        serde_json::from_value(serde_json::json!({
            "key": key, "destination": "webhook:x", "entryKey": key, "revision": revision,
            "event": "call.logged", "label": key, "idempotencyKey": key, "body": "b".repeat(body),
            "attempts": 0, "due": 0.0, "state": "waiting", "created": created
        }))
        .unwrap()
    }

    #[test]
    fn the_outbox_copy_keeps_the_newest_within_its_size_and_tells_what_was_lost() {
        let big = MIRROR_BYTES / 2;
        let copy = OutboxCopy::of(vec![
            delivery("a", 1, 1.0, big),
            delivery("b", 1, 3.0, big),
            delivery("c", 1, 2.0, 10),
        ]);
        let kept: Vec<&str> = copy.deliveries.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(kept, ["b", "c"]);
        assert_eq!(copy.left_out, 1);
        let outbox = [delivery("c", 2, 2.0, 10)];
        let lost: Vec<String> = copy
            .missing_from(&outbox)
            .into_iter()
            .map(|d| d.key)
            .collect();
        assert_eq!(lost, ["b"], "c is still there, at a newer revision");
        assert_eq!(
            OutboxCopy::signature(&[delivery("b", 2, 0.0, 1), delivery("a", 1, 0.0, 1)]),
            "a@1,b@2"
        );
    }

    #[test]
    fn an_older_census_without_some_counts_reads_as_zero() {
        let old: Census = serde_json::from_str(r#"{"contacts":5}"#).unwrap();
        assert_eq!(old.logs, 0);
    }
}
