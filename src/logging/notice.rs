//! What the phone tells the user about deliveries: one banner at the top of the widget, never
//! a notification per log. It appears when deliveries need the user (failing for a while, or
//! refused), changes only when their number or the error changes, and turns into one "all
//! delivered" line when the trouble is over.

use super::outbox::{Delivery, DeliveryState};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Our banner's id (its action button comes back to `buttonEventPath` with it).
pub const BANNER_ID: &str = "crm-bridge-deliveries";

/// What the banner shows now, so an unchanged state posts nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryNotice {
    shown: Option<String>,
}

impl DeliveryNotice {
    /// The banner command for the outbox as it is now, if the banner must change.
    pub fn update(&mut self, waiting: &[Delivery]) -> Option<Value> {
        let troubled: Vec<&Delivery> = waiting.iter().filter(|d| d.needs_attention()).collect();
        let banner = match (troubled.len(), self.shown.is_some()) {
            (0, false) => return None,
            (0, true) => {
                json!({ "id": BANNER_ID, "severity": "success", "closable": true,
                        "message": "crm-bridge: every call and message log has been delivered." })
            }
            (count, _) => {
                let error = troubled
                    .iter()
                    .max_by(|a, b| a.due.total_cmp(&b.due))
                    .and_then(|d| d.last_error.clone())
                    .unwrap_or_default();
                let logs = if count == 1 { "log is" } else { "logs are" };
                json!({ "id": BANNER_ID, "severity": "warning", "closable": false,
                        "message": format!("crm-bridge: {count} {logs} not delivered yet ({error}). They are kept and retried."),
                        "action": { "label": "Open options", "variant": "outlined", "color": "primary" } })
            }
        };
        let text = banner["message"].as_str().map(str::to_owned);
        if text == self.shown && !troubled.is_empty() {
            return None;
        }
        self.shown = match troubled.is_empty() {
            true => None,
            false => text,
        };
        Some(banner)
    }
}

/// The log matchers' status lines (protocol.md §4.7): for each journal entry whose delivery
/// needs the user, a line under that call or conversation in the phone saying it did not
/// arrive and why, so the user sees which log it is (the banner only counts them). Keyed by
/// entry key; the widget shows the line without taking it for the log itself.
pub fn delivery_status_lines(waiting: &[Delivery]) -> HashMap<String, Value> {
    let mut lines = HashMap::new();
    for delivery in waiting.iter().filter(|d| d.needs_attention()) {
        let error = delivery.last_error.as_deref().unwrap_or("no answer");
        let message = match delivery.state {
            DeliveryState::Stopped => format!(
                "Not delivered ({error}). Kept; retry it from crm-bridge's options once fixed."
            ),
            _ => format!("Not delivered yet ({error}). Kept and retried."),
        };
        lines.insert(
            delivery.entry_key.clone(),
            json!({ "type": "status", "status": "failed", "message": message }),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::entry::EntryKind;
    use crate::logging::outbox::AttemptResult;
    use crate::logging::outbox::Verdict;
    use crate::test_support::journal_entry;

    fn failing(key: &str, status: u16) -> Delivery {
        let entry = journal_entry(key, EntryKind::Call, 1);
        let delivery = Delivery::new("webhook:x", &entry, String::new(), 0.0);
        match delivery.after_attempt(&AttemptResult::Status(status), 1.0) {
            Verdict::Keep(next) => *next,
            Verdict::Delivered => unreachable!(),
        }
    }

    #[test]
    fn one_banner_that_changes_only_when_the_trouble_does() {
        let mut notice = DeliveryNotice::default();
        assert_eq!(notice.update(&[]), None, "nothing to say");
        let first = notice.update(&[failing("call:1", 401)]).unwrap();
        assert_eq!(first["severity"], "warning");
        assert!(first["message"]
            .as_str()
            .unwrap()
            .contains("1 log is not delivered yet (HTTP 401"));
        assert_eq!(
            notice.update(&[failing("call:1", 401)]),
            None,
            "unchanged: not posted again"
        );
        let more = notice
            .update(&[failing("call:1", 401), failing("call:2", 401)])
            .unwrap();
        assert!(more["message"].as_str().unwrap().contains("2 logs are"));
        let done = notice.update(&[]).unwrap();
        assert_eq!(done["severity"], "success");
        assert_eq!(notice.update(&[]), None, "said once");
    }

    #[test]
    fn a_delivery_still_being_retried_quietly_says_nothing() {
        let mut notice = DeliveryNotice::default();
        let retrying = failing("call:1", 503);
        assert!(!retrying.needs_attention());
        assert_eq!(notice.update(&[retrying]), None);
    }

    #[test]
    fn a_status_line_for_each_log_that_needs_the_user_only() {
        let refused = failing("call:1", 401);
        let retrying = failing("call:2", 503); // one failure: still waiting, no line
        let lines = delivery_status_lines(&[refused, retrying]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines["call:1"];
        assert_eq!(line["type"], "status");
        assert_eq!(line["status"], "failed");
        assert!(
            line["message"].as_str().unwrap().contains("HTTP 401"),
            "{line}"
        );
        assert!(delivery_status_lines(&[]).is_empty());
    }
}
