//! Admission tickets for the widget host.
//!
//! `widget.html` must be web-accessible so the content script can frame it, which also lets any
//! website frame it or `window.open` it and then drive the phone inside. So a widget host only
//! frames the widget after the background admits it with a ticket: single use, short-lived, and
//! bound to who may present it.
//!
//! A host framed in a CRM page never sees a secret the page could have seen: it asks the
//! background for a *claim code* bound to its own frame, shows the code to its parent, and our
//! content script (which checks that the code came from its own frame's window) vouches for it
//! over the runtime channel. Only then does the code admit, and only the frame it was made for.
//! A page that reads the code (it crosses the page's window) cannot use it: it has no runtime
//! channel to vouch with, and a frame of its own is another frame.

use std::collections::BTreeMap;

/// How long an unused ticket or claim code stays valid.
pub const TICKET_LIFETIME_MS: f64 = 60_000.0;
/// Outstanding claim codes kept at most (each widget host asks for one when it loads).
pub const MAX_OPEN_CLAIMS: usize = 64;

/// Where a request comes from, as the browser says: the tab and the frame in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameRef {
    /// The sender's tab, if it is in one.
    pub tab_id: Option<i64>,
    /// The sender's frame in that tab (0 is the tab's top document).
    pub frame_id: Option<i64>,
}

/// Who may present a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// Issued to our own extension pages (side panel, phone window): any host may present it.
    AnyOwnPage,
    /// A claim code the content script vouched for: only the frame that asked for it.
    Frame(FrameRef),
}

/// Outstanding tickets and claim codes.
#[derive(Debug, Default)]
pub struct TicketBook {
    open: BTreeMap<String, Issued>,
    /// Claim codes made for a framed host and not yet vouched for.
    claims: BTreeMap<String, Issued>,
}

#[derive(Debug, Clone)]
struct Issued {
    binding: Binding,
    at_ms: f64,
    /// The enabled site whose page the vouching content script was on.
    site: Option<String>,
}

/// What an admission tells about the admitted host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The enabled site of the page that framed it (`None` for our own pages): the site the
    /// host's calls are handled for.
    pub site: Option<String>,
}

impl TicketBook {
    /// Records a ticket for our own extension pages (they never show it to a web page).
    pub fn issue(&mut self, ticket: String, now_ms: f64) {
        expire(&mut self.open, now_ms);
        let binding = Binding::AnyOwnPage;
        self.open.insert(
            ticket,
            Issued {
                binding,
                at_ms: now_ms,
                site: None,
            },
        );
    }

    /// Records a claim code for the host in `frame`; it admits nothing until vouched for.
    /// `false` (nothing recorded) for a sender outside a tab's frame, or when too many are open.
    pub fn offer_claim(&mut self, code: String, frame: FrameRef, now_ms: f64) -> bool {
        expire(&mut self.claims, now_ms);
        if frame.tab_id.is_none()
            || frame.frame_id.is_none()
            || self.claims.len() >= MAX_OPEN_CLAIMS
        {
            return false;
        }
        let binding = Binding::Frame(frame);
        self.claims.insert(
            code,
            Issued {
                binding,
                at_ms: now_ms,
                site: None,
            },
        );
        true
    }

    /// Our content script in `tab_id`, on a page of `site`, vouches for a code its own frame
    /// showed it: the code becomes a ticket for that frame alone. Single use; a code from
    /// another tab is spent.
    pub fn vouch(&mut self, code: &str, tab_id: i64, site: Option<String>, now_ms: f64) -> bool {
        let Some(mut issued) = self.claims.remove(code) else {
            return false;
        };
        let Binding::Frame(frame) = issued.binding else {
            return false;
        };
        if now_ms - issued.at_ms >= TICKET_LIFETIME_MS || frame.tab_id != Some(tab_id) {
            return false;
        }
        expire(&mut self.open, now_ms);
        issued.site = site;
        self.open.insert(code.to_owned(), issued);
        true
    }

    /// Spends a ticket: valid when issued, unused, fresh and presented by whom it is bound to.
    pub fn admit(&mut self, ticket: &str, presenter: FrameRef, now_ms: f64) -> Option<Admission> {
        let issued = self.open.remove(ticket)?;
        let fresh = now_ms - issued.at_ms < TICKET_LIFETIME_MS;
        let bound = match issued.binding {
            Binding::AnyOwnPage => true,
            Binding::Frame(frame) => frame == presenter,
        };
        (fresh && bound).then_some(Admission { site: issued.site })
    }
}

fn expire(book: &mut BTreeMap<String, Issued>, now_ms: f64) {
    book.retain(|_, issued| now_ms - issued.at_ms < TICKET_LIFETIME_MS);
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: FrameRef = FrameRef {
        tab_id: Some(7),
        frame_id: Some(3),
    };

    #[test]
    fn a_ticket_admits_once() {
        let mut book = TicketBook::default();
        book.issue("t1".into(), 0.0);
        assert!(book.admit("t1", HOST, 10.0).is_some());
        assert!(book.admit("t1", HOST, 20.0).is_none(), "single use");
        assert!(book.admit("never-issued", HOST, 20.0).is_none());
    }

    #[test]
    fn a_ticket_expires() {
        let mut book = TicketBook::default();
        book.issue("t2".into(), 0.0);
        assert!(
            book.admit("t2", HOST, TICKET_LIFETIME_MS + 1.0).is_none(),
            "expired"
        );
        book.issue("t3".into(), 0.0);
        let elsewhere = FrameRef {
            tab_id: Some(99),
            frame_id: None,
        };
        assert!(
            book.admit("t3", elsewhere, 1.0).is_some(),
            "own-page tickets fit any host"
        );
    }

    #[test]
    fn a_claim_code_admits_nothing_until_the_content_script_vouches() {
        let mut book = TicketBook::default();
        assert!(book.offer_claim("c1".into(), HOST, 0.0));
        assert!(book.admit("c1", HOST, 1.0).is_none(), "not vouched for yet");
        assert!(book.offer_claim("c2".into(), HOST, 0.0));
        assert!(book.vouch("c2", 7, None, 1.0));
        assert!(!book.vouch("c2", 7, None, 1.0), "vouched once");
        assert!(book.admit("c2", HOST, 2.0).is_some());
        assert!(book.offer_claim("c3".into(), HOST, 0.0));
        assert!(book.vouch("c3", 7, Some("https://crm.example".into()), 1.0));
        assert_eq!(
            book.admit("c3", HOST, 2.0).and_then(|a| a.site).as_deref(),
            Some("https://crm.example"),
            "the vouching page's site is the host's"
        );
        assert!(book.admit("c2", HOST, 3.0).is_none(), "single use");
    }

    #[test]
    fn a_vouched_code_admits_only_the_frame_it_was_made_for() {
        let mut book = TicketBook::default();
        book.offer_claim("c1".into(), HOST, 0.0);
        book.vouch("c1", 7, None, 1.0);
        let other_frame = FrameRef {
            frame_id: Some(4),
            ..HOST
        };
        assert!(
            book.admit("c1", other_frame, 2.0).is_none(),
            "a page's own frame presenting the code it read"
        );
        assert!(
            book.admit("c1", HOST, 2.0).is_none(),
            "and the code is spent"
        );
    }

    #[test]
    fn a_code_vouched_from_another_tab_or_too_late_is_spent() {
        let mut book = TicketBook::default();
        book.offer_claim("c1".into(), HOST, 0.0);
        assert!(
            !book.vouch("c1", 8, None, 1.0),
            "another tab's content script"
        );
        assert!(!book.vouch("c1", 7, None, 2.0), "spent by the wrong vouch");
        book.offer_claim("c2".into(), HOST, 0.0);
        assert!(!book.vouch("c2", 7, None, TICKET_LIFETIME_MS), "expired");
    }

    #[test]
    fn claims_need_a_frame_and_are_bounded() {
        let mut book = TicketBook::default();
        let window = FrameRef {
            tab_id: None,
            frame_id: Some(0),
        };
        assert!(!book.offer_claim("w".into(), window, 0.0));
        for n in 0..MAX_OPEN_CLAIMS {
            assert!(book.offer_claim(format!("c{n}"), HOST, 0.0));
        }
        assert!(!book.offer_claim("one-more".into(), HOST, 0.0));
        assert!(
            book.offer_claim("later".into(), HOST, TICKET_LIFETIME_MS),
            "expired codes make room"
        );
    }
}
