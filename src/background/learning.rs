//! How many contacts discovery may add: a page is untrusted input, and one that shows thousands
//! of new people at every render (a forum, a hostile page on an enabled site) must not fill the
//! store, push the memory index over its budget and slow every caller match. Contacts already
//! stored are always updated; new ones are held back past a site's cap, the total cap, or the
//! site's rate of new contacts per minute. Bulk imports and the user's own imports do not pass
//! here: they have their own, larger bound (the import's size).

pub use crate::settings::limits::{HeldBack, LearningLimits};
use std::collections::BTreeMap;

/// New contacts added per site in the running minute.
#[derive(Debug, Default)]
pub struct LearningGate {
    minutes: BTreeMap<String, Minute>,
    /// Pages held back for adding too fast: until when they are not read at all (ms), and
    /// their site.
    quiet: BTreeMap<String, (f64, String)>,
    /// Sites whose list the user asked to read whole, and the new contacts that read may add
    /// beyond the minute's rate (see [`LearningGate::allow_whole_list`]).
    whole_lists: BTreeMap<String, WholeListGrant>,
}

#[derive(Debug, Clone, Copy)]
struct WholeListGrant {
    until_ms: f64,
    room: usize,
}

/// New contacts a whole-list read the user started may add past the minute's rate: the most
/// rows the content script reads in one (`WHOLE.ROWS` in `extension/discover.js`).
pub const WHOLE_LIST_ROOM: usize = 5_000;

/// How long that room lasts: the content script's longest read (`WHOLE.MS`), and a minute more
/// for the last scans to arrive.
pub const WHOLE_LIST_MS: f64 = 240_000.0;

#[derive(Debug, Clone, Copy)]
struct Minute {
    started_ms: f64,
    added: usize,
}

const MINUTE_MS: f64 = 60_000.0;

impl LearningGate {
    /// How many new contacts of `site` may be added now, given what the store holds, and the
    /// limit that binds (the one that a larger page would be held back by).
    pub fn allowance(
        &mut self,
        site: &str,
        in_site: usize,
        in_store: usize,
        limits: &LearningLimits,
        now_ms: f64,
    ) -> (usize, HeldBack) {
        let minute = self.minute(site, now_ms);
        let rate_room = limits.new_per_minute.saturating_sub(minute.added);
        let rate_room = rate_room.max(self.whole_list_room(site, now_ms));
        [
            (limits.per_site.saturating_sub(in_site), HeldBack::SiteFull),
            (limits.total.saturating_sub(in_store), HeldBack::StoreFull),
            (rate_room, HeldBack::TooFast),
        ]
        .into_iter()
        .min_by_key(|(room, _)| *room)
        .unwrap_or((0, HeldBack::SiteFull))
    }

    /// A page that showed more new people than its site's minute allows is not read again
    /// until that minute ends: reading 8,000 rows a second only to hold them back would keep
    /// the worker too busy to answer the phone.
    pub fn quiet_page(&mut self, page_url: &str, site: &str, now_ms: f64) {
        let until = self.minute(site, now_ms).started_ms + MINUTE_MS;
        if self.quiet.len() >= 64 {
            self.quiet.retain(|_, (until, _)| *until > now_ms);
        }
        self.quiet
            .insert(page_url.to_owned(), (until, site.to_owned()));
    }

    /// How long `page_url` is not read for, if it is quiet now.
    pub fn quiet_for_ms(&self, page_url: &str, now_ms: f64) -> Option<f64> {
        let until = self.quiet.get(page_url)?.0;
        (until > now_ms).then_some(until - now_ms)
    }

    /// Counts contacts a write added for `site`.
    pub fn note_added(&mut self, site: &str, added: usize, now_ms: f64) {
        self.minute(site, now_ms).added += added;
        if let Some(grant) = self.whole_lists.get_mut(site) {
            grant.room = grant.room.saturating_sub(added);
        }
    }

    /// The user asked, in the popup, to read a list of `site` whole: for a few minutes its new
    /// contacts are bounded by [`WHOLE_LIST_ROOM`] rather than the minute's rate, so a long
    /// virtual list is not cut at the rate while it scrolls past (the site's and the store's
    /// caps still hold). The site's pages are read again at once.
    pub fn allow_whole_list(&mut self, site: &str, now_ms: f64) {
        self.whole_lists.retain(|_, grant| grant.until_ms > now_ms);
        let grant = WholeListGrant {
            until_ms: now_ms + WHOLE_LIST_MS,
            room: WHOLE_LIST_ROOM,
        };
        self.whole_lists.insert(site.to_owned(), grant);
        self.quiet.retain(|_, (_, quiet_site)| quiet_site != site);
    }

    fn whole_list_room(&self, site: &str, now_ms: f64) -> usize {
        self.whole_lists
            .get(site)
            .filter(|grant| grant.until_ms > now_ms)
            .map_or(0, |grant| grant.room)
    }

    fn minute(&mut self, site: &str, now_ms: f64) -> &mut Minute {
        // Old sites' windows go when the map grows (the sites a user has are few).
        if self.minutes.len() > 64 {
            self.minutes
                .retain(|_, m| now_ms - m.started_ms < MINUTE_MS);
        }
        let minute = self.minutes.entry(site.to_owned()).or_insert(Minute {
            started_ms: now_ms,
            added: 0,
        });
        if now_ms - minute.started_ms >= MINUTE_MS || now_ms < minute.started_ms {
            *minute = Minute {
                started_ms: now_ms,
                added: 0,
            };
        }
        minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: LearningLimits = crate::settings::limits::TEST_LIMITS;

    #[test]
    fn the_room_left_is_the_smallest_of_the_caps_and_the_minutes_rate() {
        let mut gate = LearningGate::default();
        assert_eq!(
            gate.allowance("a", 95, 95, &LIMITS, 0.0),
            (5, HeldBack::SiteFull)
        );
        assert_eq!(
            gate.allowance("a", 100, 100, &LIMITS, 0.0),
            (0, HeldBack::SiteFull)
        );
        assert_eq!(
            gate.allowance("b", 10, 148, &LIMITS, 0.0),
            (2, HeldBack::StoreFull)
        );
        assert_eq!(
            gate.allowance("c", 0, 0, &LIMITS, 0.0),
            (10, HeldBack::TooFast)
        );
    }

    #[test]
    fn a_page_held_back_for_flooding_is_quiet_until_its_minute_ends() {
        let mut gate = LearningGate::default();
        gate.note_added("a", 10, 1_000.0);
        gate.quiet_page("https://a/forum", "a", 2_000.0);
        assert_eq!(
            gate.quiet_for_ms("https://a/forum", 2_000.0),
            Some(59_000.0)
        );
        assert_eq!(gate.quiet_for_ms("https://a/other", 2_000.0), None);
        assert_eq!(gate.quiet_for_ms("https://a/forum", 61_000.0), None);
    }

    #[test]
    fn a_whole_list_read_the_user_asked_for_is_bounded_by_its_own_room_for_a_while() {
        let mut gate = LearningGate::default();
        let roomy = LearningLimits {
            per_site: 100_000,
            total: 100_000,
            ..LIMITS
        };
        gate.note_added("a", 10, 0.0);
        gate.quiet_page("https://a/feed", "a", 0.0);
        assert_eq!(gate.allowance("a", 10, 10, &roomy, 1.0).0, 0);
        gate.allow_whole_list("a", 1.0);
        assert_eq!(
            gate.quiet_for_ms("https://a/feed", 2.0),
            None,
            "read again at once"
        );
        assert_eq!(gate.allowance("a", 10, 10, &roomy, 2.0).0, WHOLE_LIST_ROOM);
        gate.note_added("a", 4_000, 3.0);
        assert_eq!(gate.allowance("a", 4_010, 4_010, &roomy, 4.0).0, 1_000);
        assert_eq!(
            gate.allowance("b", 0, 4_010, &roomy, 4.0).0,
            LIMITS.new_per_minute,
            "for that site only"
        );
        assert_eq!(
            gate.allowance("a", 4_010, 4_010, &LIMITS, 4.0),
            (0, HeldBack::SiteFull),
            "the site's cap still holds"
        );
        let later = 1.0 + WHOLE_LIST_MS;
        assert_eq!(
            gate.allowance("a", 4_010, 4_010, &roomy, later).0,
            LIMITS.new_per_minute,
            "then the rate again"
        );
    }

    #[test]
    fn new_contacts_are_rate_limited_per_site_and_minute() {
        let mut gate = LearningGate::default();
        gate.note_added("a", 8, 0.0);
        assert_eq!(gate.allowance("a", 8, 8, &LIMITS, 1.0).0, 2);
        gate.note_added("a", 2, 2.0);
        assert_eq!(
            gate.allowance("a", 10, 10, &LIMITS, 3.0),
            (0, HeldBack::TooFast)
        );
        assert_eq!(gate.allowance("b", 0, 10, &LIMITS, 3.0).0, 10, "per site");
        assert_eq!(
            gate.allowance("a", 10, 10, &LIMITS, MINUTE_MS + 1.0).0,
            10,
            "a new minute"
        );
    }
}
