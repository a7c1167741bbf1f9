//! One bulk import: where it is in the list, what it found, and what it does next.
//!
//! Plain data, kept in `storage.local` after every page, so a stopped worker or a restarted
//! browser carries on from the page it had not finished (that page is read again: contacts are
//! stored by their id, so it adds nothing twice). Every decision — pace, retries, when the list
//! has ended, what a failure tells the user — is made here and tested natively; the edge only
//! fetches pages and stores contacts.

use super::pagination;
use crate::protocol::evidence::Pager;
use crate::url::WebUrl;
use serde::{Deserialize, Serialize};

/// Pages asked for per second unless the settings say otherwise: gentle on the CRM's servers.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 2.0;
/// A list longer than this many pages is not followed further (and the user is told).
pub const MAX_PAGES: u32 = 5_000;
/// Tries of one page (network errors, 429 and 5xx answers) before the import stops for the
/// user to resume.
pub const MAX_ATTEMPTS: u32 = 5;
/// Pages in a row without contacts after which a list is taken to have ended.
const EMPTY_PAGES_ENDING_A_LIST: u32 = 2;
/// Pages remembered to notice a pager that leads in a circle.
const PAGES_REMEMBERED: usize = 200;
/// Longest wait between tries of a failing page.
const MAX_BACKOFF_MS: f64 = 60_000.0;

/// Where an import stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ImportState {
    /// Reading pages.
    Running,
    /// Every page read.
    Done,
    /// The user stopped it; what it found stays stored.
    Cancelled,
    /// Stopped on a page it could not read; the user may resume it from that page.
    Failed {
        /// A sentence a person can act on.
        reason: String,
    },
}

/// One page as the edge read it.
#[derive(Debug, Clone, PartialEq)]
pub enum PageOutcome {
    /// Fetched, parsed and its contacts stored.
    Read(PageRead),
    /// Not read.
    Failed(FetchError),
}

/// What one read page gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageRead {
    /// Contacts discovery found on it.
    pub found: usize,
    /// Of them, new to the store.
    pub added: usize,
    /// Of them, stored before and changed now.
    pub changed: usize,
    /// Its pagers, to find the next page.
    pub pager: Option<Pager>,
    /// The walker stopped early on it (a huge page).
    pub truncated: bool,
}

/// Why a page was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The server answered with this HTTP status.
    Status(u16),
    /// The answer was not an HTML page (its content type).
    NotHtml(String),
    /// A page of the recipe's API was not JSON (its content type).
    NotJson(String),
    /// The request ended on another origin (a sign-in service, typically).
    OtherOrigin(String),
    /// No answer (offline, refused, timed out), or the browser refused to read it.
    Network(String),
    /// Larger than a list page can sensibly be.
    TooLarge,
    /// Fetched, but its evidence could not be read (a walker and core that disagree).
    Unreadable(String),
}

impl FetchError {
    /// Whether trying the same page again later may work.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Status(status) => *status == 408 || *status == 429 || *status >= 500,
            FetchError::Network(_) => true,
            _ => false,
        }
    }

    fn describe(&self, page: &str) -> String {
        match self {
            FetchError::Status(status @ (401 | 403)) => format!(
                "{page} answered \"not signed in\" (HTTP {status}): sign in to the CRM in this browser, then resume"
            ),
            FetchError::Status(status @ (404 | 410)) => {
                format!("{page} no longer exists (HTTP {status})")
            }
            FetchError::Status(status) => format!("{page} answered HTTP {status}"),
            FetchError::NotHtml(kind) => format!(
                "{page} is not an HTML page ({kind}); a list the CRM draws from its API cannot be read page by page"
            ),
            FetchError::NotJson(kind) => format!(
                "{page} is not JSON ({kind}): check the address in the site recipe's \"api\""
            ),
            FetchError::OtherOrigin(origin) => format!(
                "{page} sent crm-bridge to {origin} (a sign-in page?): sign in to the CRM in this browser, then resume"
            ),
            FetchError::Network(detail) => format!("{page} could not be fetched: {detail}"),
            FetchError::TooLarge => format!("{page} is larger than 10 MB; it was not read"),
            FetchError::Unreadable(detail) => format!("{page} could not be read: {detail}"),
        }
    }
}

/// What an import is and has done: kept with the job, and shown by the popup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// The enabled site the contacts are stored under.
    pub site: String,
    /// The list page the user started on.
    pub list_url: String,
    /// Where it stands.
    pub state: ImportState,
    /// Pages read.
    pub pages_read: u32,
    /// The list's page number of the last page read, when its pager says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u32>,
    /// The highest page number the list's pagers showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_page: Option<u32>,
    /// Contacts found over all pages read.
    pub found: u64,
    /// Of them, new to the store.
    pub added: u64,
    /// Of them, stored before and changed by the import.
    pub changed: u64,
    /// Pages the walker could not read whole.
    #[serde(default)]
    pub truncated_pages: u32,
    /// Read from the site recipe's JSON API, not from the list's pages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub api: bool,
    /// When the import began (ms since the epoch).
    pub started_ms: f64,
    /// When it ended (done, cancelled, failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<f64>,
}

/// A bulk import of one list, kept between worker stops and browser restarts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportJob {
    /// What it is and has done.
    #[serde(flatten)]
    pub summary: ImportSummary,
    /// The page to read next; none once the list has ended.
    #[serde(default)]
    pub next_url: Option<String>,
    /// Fingerprints of the last pages read (a pager leading in a circle ends the import).
    #[serde(default)]
    pub recent_pages: Vec<String>,
    /// Failed tries of the next page, in a row.
    #[serde(default)]
    pub attempts: u32,
    /// Pages without contacts, in a row.
    #[serde(default)]
    pub empty_pages: u32,
    /// Not before this time (ms since the epoch): the pace, or a failing page's backoff.
    #[serde(default)]
    pub not_before_ms: f64,
    /// Pause between two requests (ms).
    pub interval_ms: f64,
}

/// An import as the popup shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgress {
    /// What it is and has done.
    #[serde(flatten)]
    pub summary: ImportSummary,
    /// From 0 to 1, when the list tells its length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction_done: Option<f64>,
}

/// Why an import cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotStart(pub String);

impl ImportJob {
    /// An import of the list at `list_url` for `site`, reading `requests_per_second` pages a
    /// second at most; its first request is due at once.
    pub fn start(
        site: &str,
        list_url: &str,
        requests_per_second: f64,
        now_ms: f64,
    ) -> Result<Self, CannotStart> {
        let url = WebUrl::parse(list_url)
            .map_err(|err| CannotStart(format!("cannot import from this page: {err}")))?;
        let rate = if requests_per_second.is_finite() && requests_per_second > 0.0 {
            requests_per_second.clamp(0.1, 10.0)
        } else {
            DEFAULT_REQUESTS_PER_SECOND
        };
        Ok(Self {
            summary: ImportSummary {
                site: site.to_owned(),
                list_url: url.to_string(),
                state: ImportState::Running,
                pages_read: 0,
                page_number: None,
                last_page: None,
                found: 0,
                added: 0,
                changed: 0,
                truncated_pages: 0,
                api: false,
                started_ms: now_ms,
                ended_ms: None,
            },
            next_url: Some(url.to_string()),
            recent_pages: Vec::new(),
            attempts: 0,
            empty_pages: 0,
            not_before_ms: now_ms,
            interval_ms: 1000.0 / rate,
        })
    }

    /// Whether pages are still to be read.
    pub fn is_running(&self) -> bool {
        self.summary.state == ImportState::Running
    }

    /// The page to fetch now, or how long to wait first (ms); none when not running.
    pub fn due(&self, now_ms: f64) -> Option<Result<&str, f64>> {
        let url = self.next_url.as_deref().filter(|_| self.is_running())?;
        Some(if now_ms >= self.not_before_ms {
            Ok(url)
        } else {
            Err(self.not_before_ms - now_ms)
        })
    }

    /// Notes that the page due was requested now: the next request waits its turn.
    pub fn requested(&mut self, now_ms: f64) {
        self.not_before_ms = now_ms + self.interval_ms;
    }

    /// Takes in what reading the page due gave, and decides what comes next.
    pub fn record(&mut self, outcome: PageOutcome, now_ms: f64) {
        if !self.is_running() {
            return; // cancelled while the page was in flight: its contacts are stored, that is all
        }
        let Some(url) = self.next_url.clone() else {
            return;
        };
        let label = self.page_label();
        let read = match outcome {
            PageOutcome::Read(read) => read,
            PageOutcome::Failed(error) => {
                self.attempts += 1;
                if error.is_transient() && self.attempts < MAX_ATTEMPTS {
                    let backoff =
                        (2_000.0 * 2f64.powi(self.attempts as i32 - 1)).min(MAX_BACKOFF_MS);
                    self.not_before_ms = self.not_before_ms.max(now_ms + backoff);
                } else {
                    let mut reason = error.describe(&label);
                    if error.is_transient() {
                        reason
                            .push_str(&format!(" ({} tries); resume to try again", self.attempts));
                    }
                    self.end(ImportState::Failed { reason }, now_ms);
                }
                return;
            }
        };
        self.attempts = 0;
        self.summary.pages_read += 1;
        self.summary.found += read.found as u64;
        self.summary.added += read.added as u64;
        self.summary.changed += read.changed as u64;
        self.summary.truncated_pages += u32::from(read.truncated);
        remember(&mut self.recent_pages, &url);
        if let Some(pager) = &read.pager {
            self.summary.page_number = pager.current.or(self.summary.page_number.map(|n| n + 1));
            self.summary.last_page = pagination::last_page(pager).max(self.summary.last_page);
        }
        if read.found == 0 && self.summary.pages_read == 1 {
            let reason = format!(
                "{label} has no contacts as the CRM sends it: the CRM may have sent a sign-in page (sign in and resume), or it draws the list with scripts, which a site recipe has to teach"
            );
            return self.end(ImportState::Failed { reason }, now_ms);
        }
        let empty_run = self.empty_run(read.found);
        let next = read
            .pager
            .as_ref()
            .and_then(|pager| pagination::next_page(pager, &url));
        self.next_url = match next {
            Some(next) if !self.recent_pages.contains(&fingerprint(&next)) => Some(next),
            _ => None,
        };
        if self.next_url.is_none() || empty_run >= EMPTY_PAGES_ENDING_A_LIST {
            self.next_url = None;
            return self.end(ImportState::Done, now_ms);
        }
        if self.summary.pages_read >= MAX_PAGES {
            let reason =
                format!("the list has more than {MAX_PAGES} pages; crm-bridge stopped there");
            self.end(ImportState::Failed { reason }, now_ms);
        }
    }

    /// The user stops the import; what it stored stays.
    pub fn cancel(&mut self, now_ms: f64) {
        if self.is_running() {
            self.end(ImportState::Cancelled, now_ms);
        }
    }

    /// Carries on after a failure, from the page that failed.
    pub fn resume(&mut self, now_ms: f64) -> Result<(), CannotStart> {
        match (&self.summary.state, &self.next_url) {
            (ImportState::Failed { .. }, Some(_)) => {
                self.summary.state = ImportState::Running;
                self.attempts = 0;
                self.not_before_ms = now_ms;
                self.summary.ended_ms = None;
                Ok(())
            }
            (ImportState::Running, _) => Ok(()),
            _ => Err(CannotStart(
                "this import has ended; start a new one from the list".into(),
            )),
        }
    }

    /// Stops the import for a reason outside the list (the site was switched off); the user
    /// may resume it once the reason is gone.
    pub fn stop(&mut self, reason: String, now_ms: f64) {
        if self.is_running() {
            self.end(ImportState::Failed { reason }, now_ms);
        }
    }

    /// What the popup shows.
    pub fn progress(&self) -> ImportProgress {
        ImportProgress {
            summary: self.summary.clone(),
            fraction_done: self.fraction_done(),
        }
    }

    /// The share of the list read, from 0 to 1, when the list's pagers tell its length.
    pub fn fraction_done(&self) -> Option<f64> {
        match self.summary.state {
            ImportState::Done => Some(1.0),
            _ => {
                let last = f64::from(self.summary.last_page?);
                let at = f64::from(self.summary.page_number.unwrap_or(self.summary.pages_read));
                Some((at / last).clamp(0.0, 1.0))
            }
        }
    }

    /// "page 7" (the list's own number when its pager says), for messages.
    fn page_label(&self) -> String {
        let number = self
            .summary
            .page_number
            .map(|n| n + 1)
            .unwrap_or(self.summary.pages_read + 1);
        if self.summary.pages_read == 0 {
            "the list page".into()
        } else {
            format!("page {number} of the list")
        }
    }

    /// Consecutive pages without contacts, this one included.
    fn empty_run(&mut self, found: usize) -> u32 {
        if found > 0 {
            self.empty_pages = 0;
        } else {
            self.empty_pages += 1;
        }
        self.empty_pages
    }

    fn end(&mut self, state: ImportState, now_ms: f64) {
        self.summary.state = state;
        self.summary.ended_ms = Some(now_ms);
    }
}

/// Adds a page's fingerprint to the bounded list of recent ones.
fn remember(recent: &mut Vec<String>, url: &str) {
    recent.push(fingerprint(url));
    if recent.len() > PAGES_REMEMBERED {
        recent.remove(0);
    }
}

/// A short stable fingerprint of a page address (FNV-1a 64, hex), fragment ignored.
fn fingerprint(url: &str) -> String {
    let page = url.split('#').next().unwrap_or(url);
    let hash = page.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::evidence::PagerLink;

    const LIST: &str = "https://crm.example.com/people";

    /// A page of a list of `pages` pages with `found` contacts, linking to the next.
    fn page(number: u32, pages: u32, found: usize) -> PageOutcome {
        let link = |n: u32, text: &str| PagerLink {
            href: format!("{LIST}?page={n}"),
            text: Some(text.into()),
            ..PagerLink::default()
        };
        let mut links: Vec<PagerLink> = (1..=pages)
            .filter(|&n| n != number)
            .map(|n| link(n, &n.to_string()))
            .collect();
        if number < pages {
            links.push(link(number + 1, "Next ›"));
        }
        PageOutcome::Read(PageRead {
            found,
            added: found,
            pager: Some(Pager {
                links,
                current: Some(number),
            }),
            ..PageRead::default()
        })
    }

    fn job() -> ImportJob {
        ImportJob::start("https://crm.example.com", LIST, 2.0, 1_000.0).unwrap()
    }

    #[test]
    fn an_import_follows_the_list_to_its_last_page_at_the_pace_asked() {
        let mut job = job();
        let mut now = 1_000.0;
        let mut fetched = Vec::new();
        while let Some(due) = job.due(now) {
            match due {
                Ok(url) => {
                    fetched.push(url.to_owned());
                    job.requested(now);
                    let number = fetched.len() as u32;
                    job.record(page(number, 20, 100), now + 50.0);
                }
                Err(wait) => {
                    assert!(wait > 0.0 && wait <= 500.0, "waits {wait} ms");
                    now += wait;
                }
            }
        }
        assert_eq!(job.summary.state, ImportState::Done);
        assert_eq!(fetched.len(), 20);
        assert_eq!(fetched[0], LIST);
        assert_eq!(fetched[19], format!("{LIST}?page=20"));
        assert_eq!(
            (job.summary.pages_read, job.summary.found, job.summary.added),
            (20, 2_000, 2_000)
        );
        assert_eq!(job.fraction_done(), Some(1.0));
        // 2 requests a second: the 20th page was asked for 9.5 s after the first.
        assert_eq!(now, 1_000.0 + 19.0 * 500.0);
    }

    #[test]
    fn progress_comes_from_the_pager_and_survives_a_round_trip_through_storage() {
        let mut job = job();
        job.requested(1_000.0);
        job.record(page(1, 20, 100), 1_100.0);
        job.requested(1_500.0);
        job.record(page(2, 20, 100), 1_600.0);
        assert_eq!(job.fraction_done(), Some(0.1));
        let stored = serde_json::to_string(&job).unwrap();
        let again: ImportJob = serde_json::from_str(&stored).unwrap();
        assert_eq!(again, job);
        assert_eq!(again.due(1_600.0), Some(Err(400.0)));
        assert_eq!(
            again.due(2_000.0),
            Some(Ok(format!("{LIST}?page=3").as_str()))
        );
    }

    #[test]
    fn a_failing_page_is_retried_with_growing_waits_then_the_import_stops_for_the_user() {
        let mut job = job();
        job.requested(1_000.0);
        job.record(page(1, 3, 10), 1_000.0);
        let mut waits = Vec::new();
        for _ in 0..MAX_ATTEMPTS - 1 {
            job.record(PageOutcome::Failed(FetchError::Status(503)), 2_000.0);
            waits.push(job.not_before_ms - 2_000.0);
        }
        assert_eq!(waits, [2_000.0, 4_000.0, 8_000.0, 16_000.0]);
        assert!(job.is_running());
        job.record(PageOutcome::Failed(FetchError::Status(503)), 2_000.0);
        let ImportState::Failed { reason } = &job.summary.state else {
            panic!("{:?}", job.summary.state)
        };
        assert!(
            reason.contains("page 2 of the list answered HTTP 503 (5 tries); resume"),
            "{reason}"
        );
        job.resume(3_000.0).unwrap();
        assert_eq!(
            job.due(3_000.0),
            Some(Ok(format!("{LIST}?page=2").as_str()))
        );
        job.record(page(2, 3, 10), 3_000.0);
        assert_eq!(job.attempts, 0);
    }

    #[test]
    fn failures_that_waiting_cannot_mend_stop_at_once_and_say_what_to_do() {
        for (error, says) in [
            (
                FetchError::Status(401),
                "sign in to the CRM in this browser, then resume",
            ),
            (FetchError::Status(404), "no longer exists (HTTP 404)"),
            (
                FetchError::OtherOrigin("https://login.example.com".into()),
                "sent crm-bridge to https://login.example.com",
            ),
            (
                FetchError::NotHtml("application/json".into()),
                "not an HTML page (application/json)",
            ),
            (FetchError::TooLarge, "larger than 10 MB"),
        ] {
            let mut job = job();
            job.record(PageOutcome::Failed(error), 1_000.0);
            let ImportState::Failed { reason } = &job.summary.state else {
                panic!("{:?}", job.summary.state)
            };
            assert!(reason.starts_with("the list page"), "{reason}");
            assert!(reason.contains(says), "{reason}");
        }
    }

    #[test]
    fn a_first_page_without_contacts_is_explained_and_empty_pages_end_a_list() {
        let mut job = job();
        job.record(page(1, 5, 0), 1_000.0);
        let ImportState::Failed { reason } = &job.summary.state else {
            panic!("{:?}", job.summary.state)
        };
        assert!(
            reason.contains("has no contacts as the CRM sends it"),
            "{reason}"
        );

        let mut job = self::job();
        job.record(page(1, 9, 100), 1_000.0);
        job.record(page(2, 9, 0), 1_000.0);
        assert!(job.is_running(), "one empty page may be a gap");
        job.record(page(3, 9, 0), 1_000.0);
        assert_eq!(job.summary.state, ImportState::Done);
        assert_eq!(job.next_url, None);
    }

    #[test]
    fn a_pager_leading_in_a_circle_ends_the_import() {
        let mut job = job();
        job.record(page(1, 3, 5), 1_000.0);
        job.record(page(2, 3, 5), 1_000.0);
        // Page 3's "Next" leads back to page 2.
        let PageOutcome::Read(mut third) = page(3, 3, 5) else {
            unreachable!()
        };
        third.pager.as_mut().unwrap().links.push(PagerLink {
            href: format!("{LIST}?page=2"),
            text: Some("Next".into()),
            ..PagerLink::default()
        });
        job.record(PageOutcome::Read(third), 1_000.0);
        assert_eq!(job.summary.state, ImportState::Done);
        assert_eq!(job.summary.pages_read, 3);
    }

    #[test]
    fn a_cancelled_import_ignores_the_page_in_flight_and_cannot_be_resumed() {
        let mut job = job();
        job.requested(1_000.0);
        job.cancel(1_100.0);
        job.record(page(1, 3, 100), 1_200.0);
        assert_eq!(job.summary.state, ImportState::Cancelled);
        assert_eq!(job.summary.pages_read, 0);
        assert_eq!(job.due(5_000.0), None);
        assert!(job.resume(5_000.0).is_err());
    }

    #[test]
    fn odd_rates_and_addresses_are_handled() {
        let slow = ImportJob::start("s", LIST, 0.0, 0.0).unwrap();
        assert_eq!(slow.interval_ms, 500.0, "no rate: the default 2/s");
        let fast = ImportJob::start("s", LIST, 1e9, 0.0).unwrap();
        assert_eq!(fast.interval_ms, 100.0, "at most 10 a second");
        assert!(ImportJob::start("s", "chrome://extensions", 2.0, 0.0).is_err());
    }
}
