//! The outbox: deliveries waiting for their destination, and the rules for retrying them.
//!
//! A delivery is written in the same IndexedDB transaction as the journal entry it carries,
//! before the widget hears "logged"; it leaves the outbox only when the destination said 2xx.
//! One delivery per destination and entry: a newer revision of the entry replaces a waiting
//! one (the destination gets the latest state, once). Every revision has its own idempotency
//! key, so a delivery retried after a lost answer is recognised by the receiver.

use super::entry::JournalEntry;
use serde::{Deserialize, Serialize};

/// First retry after this long; each further failure doubles it.
pub const FIRST_RETRY_MS: f64 = 5_000.0;
/// Retries are never further apart than this.
pub const LONGEST_RETRY_MS: f64 = 30.0 * 60_000.0;
/// After this many failed attempts a delivery counts as failing (toolbar badge), though it is
/// still retried.
pub const FAILING_AFTER: u32 = 5;
/// A destination that has not answered after this long is given up on for this attempt.
pub const REQUEST_TIMEOUT_MS: u32 = 10_000;
/// Deliveries sent at once.
pub const PARALLEL_DELIVERIES: usize = 6;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryState {
    /// Waiting for its first try or its next retry.
    Waiting,
    /// Failed [`FAILING_AFTER`] times or more; still retried, shown on the badge.
    Failing,
    /// The destination refused it in a way retrying cannot fix (4xx); waits for the user's
    /// retry or discard in the options page.
    Stopped,
}

/// One entry revision on its way to one destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `<destination>|<entry key>`: one waiting delivery per destination and entry.
    pub key: String,
    /// The destination's id (`webhook:<site>`, `crm:<site>`).
    pub destination: String,
    /// The journal entry's key.
    pub entry_key: String,
    /// The entry revision carried.
    pub revision: u32,
    /// `call.logged` or `messages.logged`.
    pub event: String,
    /// What a person sees for it in the options page: the entry's subject and who it is with.
    #[serde(default)]
    pub label: String,
    /// Sent as `Idempotency-Key`; the same for every attempt of this revision.
    pub idempotency_key: String,
    /// The request body, fixed when the revision was logged.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it may be tried next (ms since the epoch; IndexedDB indexes it).
    pub due: f64,
    /// Where it stands.
    pub state: DeliveryState,
    /// What went wrong last, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the revision was logged.
    pub created: f64,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The destination answered with this HTTP status.
    Status(u16),
    /// No answer: a network error, a dropped connection or the timeout, in words.
    NoAnswer(String),
    /// It cannot be sent as configured (the destination was removed), in words.
    Unsendable(String),
}

/// What to do with a delivery after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Delivered: remove it (if no newer revision replaced it meanwhile).
    Delivered,
    /// Keep it, changed as given.
    Keep(Box<Delivery>),
}

impl Delivery {
    /// A new delivery of `entry`'s current revision with `body`, due now.
    pub fn new(destination: &str, entry: &JournalEntry, body: String, now: f64) -> Self {
        Self {
            key: format!("{destination}|{}", entry.key),
            destination: destination.to_owned(),
            entry_key: entry.key.clone(),
            revision: entry.revision,
            event: entry.event().to_owned(),
            label: label(entry),
            idempotency_key: idempotency_key(&entry.key, entry.revision),
            body,
            attempts: 0,
            due: now,
            state: DeliveryState::Waiting,
            last_error: None,
            created: now,
        }
    }

    /// Folds an attempt's result in (`now` = when it ended).
    pub fn after_attempt(&self, result: &AttemptResult, now: f64) -> Verdict {
        let mut next = self.clone();
        next.attempts += 1;
        let (retry, error) = match result {
            AttemptResult::Status(status) if (200..300).contains(status) => {
                return Verdict::Delivered
            }
            AttemptResult::Status(status @ (408 | 409 | 425 | 429)) => (
                true,
                format!("HTTP {status} (busy or in progress); retrying"),
            ),
            AttemptResult::Status(status @ 500..=599) => {
                (true, format!("HTTP {status} from the destination"))
            }
            AttemptResult::Status(status) => (
                false,
                format!("HTTP {status}: refused; check the webhook's URL and header"),
            ),
            AttemptResult::NoAnswer(reason) => (true, reason.clone()),
            AttemptResult::Unsendable(reason) => (false, reason.clone()),
        };
        next.last_error = Some(error);
        if retry {
            next.due = now + retry_delay_ms(next.attempts, &next.key);
            next.state = match next.attempts >= FAILING_AFTER {
                true => DeliveryState::Failing,
                false => DeliveryState::Waiting,
            };
        } else {
            next.state = DeliveryState::Stopped;
            next.due = f64::MAX;
        }
        Verdict::Keep(Box::new(next))
    }

    /// The user's "retry now" (options page): due now, failures forgotten.
    pub fn retried_by_user(&self, now: f64) -> Self {
        Self {
            attempts: 0,
            due: now,
            state: DeliveryState::Waiting,
            ..self.clone()
        }
    }

    /// Whether an attempt on `sent` settles this waiting delivery: only the same revision
    /// (a newer one that replaced it while `sent` was on its way is still to be delivered).
    pub fn is_settled_by(&self, sent: &Delivery) -> bool {
        self.idempotency_key == sent.idempotency_key
    }

    /// The delivery as the options page lists it: everything but the body.
    pub fn without_body(&self) -> Self {
        Self {
            body: String::new(),
            ..self.clone()
        }
    }

    /// Whether it may be sent at `now`.
    pub fn is_due(&self, now: f64) -> bool {
        self.state != DeliveryState::Stopped && self.due <= now
    }

    /// Whether the toolbar badge counts it.
    pub fn needs_attention(&self) -> bool {
        self.state != DeliveryState::Waiting
    }
}

/// "Inbound call · Call connected · 1:03 — Jane Roe" (or the number, for an unknown caller).
fn label(entry: &JournalEntry) -> String {
    let who = entry
        .contact
        .name
        .clone()
        .or_else(|| entry.number.clone())
        .unwrap_or_default();
    match who.is_empty() {
        true => entry.subject(),
        false => format!("{} — {who}", entry.subject()),
    }
}

/// The wait before retry number `attempts`: doubling from [`FIRST_RETRY_MS`], capped at
/// [`LONGEST_RETRY_MS`], spread by up to ±20 % (derived from the key, so deliveries failing
/// together do not all come back in the same second).
pub fn retry_delay_ms(attempts: u32, key: &str) -> f64 {
    let doubling = FIRST_RETRY_MS * 2f64.powi(attempts.saturating_sub(1).min(20) as i32);
    let base = doubling.min(LONGEST_RETRY_MS);
    let hash = key
        .bytes()
        .chain(attempts.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let spread = (hash % 401) as f64 / 1000.0 - 0.2; // -0.2 ..= +0.2
    base * (1.0 + spread)
}

/// `crm-bridge:<entry key>@<revision>`, with anything outside a safe header alphabet
/// percent-encoded (session and conversation ids come from the widget).
pub fn idempotency_key(entry_key: &str, revision: u32) -> String {
    let mut key = String::from("crm-bridge:");
    for byte in entry_key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b':' | b'/' | b'.' | b'_' | b'-' => {
                key.push(byte as char)
            }
            other => key.push_str(&format!("%{other:02X}")),
        }
    }
    key.push_str(&format!("@{revision}"));
    key
}

/// The deliveries to try now, oldest due first, at most `limit`.
pub fn due_now(deliveries: &[Delivery], now: f64, limit: usize) -> Vec<Delivery> {
    let mut due: Vec<Delivery> = deliveries
        .iter()
        .filter(|d| d.is_due(now))
        .cloned()
        .collect();
    due.sort_by(|a, b| a.due.total_cmp(&b.due));
    due.truncate(limit);
    due
}

/// When the next retry is due (to set the alarm), if any delivery waits.
pub fn next_due(deliveries: &[Delivery]) -> Option<f64> {
    deliveries
        .iter()
        .filter(|d| d.state != DeliveryState::Stopped)
        .map(|d| d.due)
        .reduce(f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::entry::EntryKind;
    use crate::test_support::journal_entry;

    fn entry(revision: u32) -> JournalEntry {
        journal_entry("messages:80001/11/25/2026", EntryKind::Messages, revision)
    }

    #[test]
    fn each_revision_has_its_own_header_safe_idempotency_key() {
        let first = Delivery::new("webhook:crm.example", &entry(1), "{}".into(), 10.0);
        let second = Delivery::new("webhook:crm.example", &entry(2), "{}".into(), 11.0);
        assert_eq!(
            first.idempotency_key,
            "crm-bridge:messages:80001/11/25/2026@1"
        );
        assert_ne!(first.idempotency_key, second.idempotency_key);
        assert_eq!(
            first.key, second.key,
            "a newer revision replaces the waiting one"
        );
        assert_eq!(
            idempotency_key("call:a b\n", 3),
            "crm-bridge:call:a%20b%0A@3"
        );
    }

    #[test]
    fn server_errors_and_silence_are_retried_with_growing_waits() {
        let mut delivery = Delivery::new("webhook:x", &entry(1), "{}".into(), 0.0);
        let mut last_wait = 0.0;
        for attempt in 1..=7 {
            let result = match attempt % 2 {
                0 => AttemptResult::Status(503),
                _ => AttemptResult::NoAnswer("the connection was dropped".into()),
            };
            let Verdict::Keep(next) = delivery.after_attempt(&result, 1_000.0) else {
                panic!("kept")
            };
            let wait = next.due - 1_000.0;
            assert!(
                wait > last_wait * 1.2,
                "attempt {attempt}: {wait} after {last_wait}"
            );
            assert_eq!(next.attempts, attempt);
            assert_eq!(
                next.state == DeliveryState::Failing,
                attempt >= FAILING_AFTER
            );
            last_wait = wait;
            delivery = *next;
        }
        assert!(delivery.last_error.unwrap().contains("503") || delivery.attempts == 7);
        for attempts in 1..40 {
            assert!(retry_delay_ms(attempts, "k") <= LONGEST_RETRY_MS * 1.2);
            assert!(retry_delay_ms(attempts, "k") >= FIRST_RETRY_MS * 0.8);
        }
    }

    #[test]
    fn success_delivers_and_a_refusal_stops_for_the_user() {
        let delivery = Delivery::new("webhook:x", &entry(1), "{}".into(), 0.0);
        assert_eq!(
            delivery.after_attempt(&AttemptResult::Status(204), 1.0),
            Verdict::Delivered
        );
        let Verdict::Keep(stopped) = delivery.after_attempt(&AttemptResult::Status(401), 1.0)
        else {
            panic!("kept")
        };
        assert_eq!(stopped.state, DeliveryState::Stopped);
        assert!(!stopped.is_due(f64::MAX - 1.0));
        assert!(stopped.needs_attention());
        assert!(stopped.last_error.as_ref().unwrap().contains("HTTP 401"));
        assert_eq!(next_due(std::slice::from_ref(&stopped)), None);
        let retried = stopped.retried_by_user(5.0);
        assert!(retried.is_due(5.0));
        assert_eq!(retried.idempotency_key, delivery.idempotency_key);
    }

    #[test]
    fn due_deliveries_come_oldest_first_and_limited() {
        let mut all: Vec<Delivery> = (0..10)
            .map(|i| {
                let mut d = Delivery::new(&format!("webhook:{i}"), &entry(1), "{}".into(), 0.0);
                d.due = f64::from(10 - i);
                d
            })
            .collect();
        all[0].state = DeliveryState::Stopped;
        let due = due_now(&all, 8.0, 3);
        let dues: Vec<f64> = due.iter().map(|d| d.due).collect();
        assert_eq!(dues, [1.0, 2.0, 3.0]);
        assert_eq!(next_due(&all), Some(1.0));
    }
}
