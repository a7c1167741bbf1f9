//! Admission tickets for the widget host.
//!
//! `widget.html` must be web-accessible so the content script can frame it, which also lets any
//! website frame it or `window.open` it and then drive the phone inside. So a widget host only
//! frames the widget after the background admits it with a ticket: single use, short-lived,
//! issued only to our content script on an enabled site (bound to its tab) or to our own
//! extension pages, and handed over in the frame URL's fragment, which the page cannot read.

use std::collections::BTreeMap;

/// How long an unused ticket stays valid.
pub const TICKET_LIFETIME_MS: f64 = 60_000.0;

/// Outstanding tickets.
#[derive(Debug, Default)]
pub struct TicketBook {
    open: BTreeMap<String, Issued>,
}

#[derive(Debug, Clone, Copy)]
struct Issued {
    tab_id: Option<i64>,
    at_ms: f64,
}

impl TicketBook {
    /// Records a new ticket, for one tab (content script) or any (our own extension pages).
    pub fn issue(&mut self, ticket: String, tab_id: Option<i64>, now_ms: f64) {
        self.open
            .retain(|_, issued| now_ms - issued.at_ms < TICKET_LIFETIME_MS);
        self.open.insert(
            ticket,
            Issued {
                tab_id,
                at_ms: now_ms,
            },
        );
    }

    /// Spends a ticket: valid when issued, unused, fresh and (if bound) shown from its tab.
    pub fn admit(&mut self, ticket: &str, tab_id: Option<i64>, now_ms: f64) -> bool {
        let Some(issued) = self.open.remove(ticket) else {
            return false;
        };
        let fresh = now_ms - issued.at_ms < TICKET_LIFETIME_MS;
        let same_tab = issued.tab_id.is_none() || issued.tab_id == tab_id;
        fresh && same_tab
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_admits_once() {
        let mut book = TicketBook::default();
        book.issue("t1".into(), Some(7), 0.0);
        assert!(book.admit("t1", Some(7), 10.0));
        assert!(!book.admit("t1", Some(7), 20.0), "single use");
        assert!(!book.admit("never-issued", Some(7), 20.0));
    }

    #[test]
    fn a_ticket_is_bound_to_its_tab_and_expires() {
        let mut book = TicketBook::default();
        book.issue("t1".into(), Some(7), 0.0);
        assert!(!book.admit("t1", Some(8), 1.0), "another tab");
        book.issue("t2".into(), Some(7), 0.0);
        assert!(
            !book.admit("t2", Some(7), TICKET_LIFETIME_MS + 1.0),
            "expired"
        );
        book.issue("t3".into(), None, 0.0);
        assert!(
            book.admit("t3", Some(99), 1.0),
            "extension-page tickets fit any tab"
        );
    }
}
