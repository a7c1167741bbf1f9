//! Where the router's data comes from. The extension implements these over IndexedDB and
//! discovery; [`super::memory`] implements them in memory for tests and until the store lands.
//!
//! Methods are `async` (IndexedDB is) and take `&self` (implementations use interior
//! mutability), so a handler never holds a borrow across an await.
#![allow(async_fn_in_trait)] // single-threaded Wasm: the futures are never sent between threads

use crate::contacts::merge::merge_seen;
use crate::contacts::record::ContactRecord;
use crate::contacts::Contact;
use crate::logging::destinations::Destinations;
use crate::logging::entry::JournalEntry;
use crate::logging::journal_view::JournalQuery;
use crate::logging::merge::ContactLink;
use crate::logging::outbox::Delivery;
use crate::protocol::bridge::ImportBatch;
use crate::service::requests::{CallLog, MessageLog};
use crate::settings::site_options::SiteOptions;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A failure a handler reports to the widget as an error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError(pub String);

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One page of the contact sync (§4.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactsPage {
    /// Contacts (tombstones included in delta syncs).
    pub contacts: Vec<Contact>,
    /// The page to ask for next, if any.
    pub next_page: Option<u64>,
    /// The cursor the widget sends back next time (must be truthy: never 0).
    pub sync_timestamp: u64,
}

/// The contacts the widget may see.
pub trait ContactSource {
    /// What the source keeps in memory to answer search and match, for diagnostics (a source
    /// without such memory says nothing).
    fn memory_state(&self) -> String {
        String::new()
    }
    /// A page of the full list (`since` = None) or of what changed since a cursor.
    async fn contacts_page(
        &self,
        since: Option<u64>,
        page: u64,
    ) -> Result<ContactsPage, ServiceError>;
    /// Best matches first, at most `limit`.
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<Contact>, ServiceError>;
    /// Each queried number (as given) → every contact on that line; no key = no match.
    async fn match_numbers(
        &self,
        numbers: &[String],
    ) -> Result<BTreeMap<String, Vec<Contact>>, ServiceError>;
    /// The contact with this id, if known.
    async fn contact(&self, id: &str) -> Result<Option<Contact>, ServiceError>;
    /// Every live contact with a number on this national significant number, whether it is
    /// the same line or not ("why did this not match?").
    async fn on_national_number(&self, national: &str) -> Result<Vec<Contact>, ServiceError>;
}

/// What a contact write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteSummary {
    /// Contacts new to the store (or revived).
    pub added: usize,
    /// Contacts whose stored form changed.
    pub changed: usize,
    /// Contacts seen again unchanged (not rewritten, not re-synced).
    pub unchanged: usize,
    /// Contacts turned into tombstones.
    pub removed: usize,
}

impl WriteSummary {
    /// Folds a sighting of a contact of `site` into its stored record `old` (the one merge rule,
    /// [`merge_seen`], for every store), counts what that is, and returns what must be written;
    /// `None` when nothing changed (it is not rewritten, so it is not re-synced).
    pub fn note_seen(
        &mut self,
        old: Option<&ContactRecord>,
        site: &str,
        seen: Contact,
    ) -> Option<Contact> {
        let stored = old.map(ContactRecord::local_contact);
        let contact = merge_seen(stored.as_ref(), seen);
        match old {
            Some(old) if !old.differs_from(site, &contact) => {
                self.unchanged += 1;
                return None;
            }
            Some(old) if !old.deleted => self.changed += 1,
            _ => self.added += 1,
        }
        Some(contact)
    }

    /// Whether the widget should re-sync.
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }
}

/// Where contacts are written: discovery, imports, "forget this site".
pub trait ContactSink {
    /// Stores what a page showed of a site's contacts; unchanged ones are left alone.
    async fn upsert(
        &self,
        site: &str,
        contacts: Vec<Contact>,
    ) -> Result<WriteSummary, ServiceError>;
    /// Writes many contacts of a site at once (an import), all or nothing.
    async fn import(&self, site: &str, contacts: Vec<Contact>) -> Result<usize, ServiceError>;
    /// Writes one chunk of an import kept as a whole (rules: [`crate::contacts::import_batch`]):
    /// answers the chunk's count once written, and for the last chunk the whole import's
    /// count once kept. A refused chunk, or any failure, leaves nothing of the import.
    async fn import_part(
        &self,
        site: &str,
        contacts: Vec<Contact>,
        batch: &ImportBatch,
    ) -> Result<usize, ServiceError>;
    /// Turns these contacts of a site into tombstones.
    async fn remove(&self, site: &str, ids: &[String]) -> Result<WriteSummary, ServiceError>;
    /// Turns every contact of a site into a tombstone.
    async fn forget_site(&self, site: &str) -> Result<usize, ServiceError>;
    /// How many live contacts a site has.
    async fn count(&self, site: &str) -> Result<usize, ServiceError>;
    /// When the site's contacts were last read from it (the newest sighting in the latest
    /// page or bulk-import write), for the options page; `None` before the first, and after
    /// "forget this site".
    async fn last_read(&self, site: &str) -> Result<Option<f64>, ServiceError>;
    /// A site's live contacts (for export), ids local to the site.
    async fn export(&self, site: &str) -> Result<Vec<Contact>, ServiceError>;
}

/// One row of a contact's activities (§4.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// The log entry id.
    pub id: String,
    /// Row text.
    pub subject: String,
    /// ms since the epoch.
    pub time: f64,
}

/// A log entity that marks a call or conversation-day as logged (§4.7, §4.10).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogMatch {
    /// The log entry id.
    pub id: String,
    /// Pre-fills the log page (calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Which matched contact was logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
}

/// What a log request wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct LogWritten {
    /// The entry's key (the id the log matchers return).
    pub key: String,
    /// Deliveries queued with it (the edge starts sending them).
    pub queued: usize,
}

/// Call and message logs: the journal and its outbox.
pub trait LogStore {
    /// Folds a call-log request into the call's entry, linked as `link` says, and queues a
    /// delivery of a new revision to each of the entry's `destinations`; durable when it
    /// returns.
    async fn log_call(
        &self,
        log: &CallLog,
        link: ContactLink,
        destinations: &Destinations,
    ) -> Result<LogWritten, ServiceError>;
    /// The same for one conversation-day of messages.
    async fn log_message(
        &self,
        log: &MessageLog,
        link: ContactLink,
        destinations: &Destinations,
    ) -> Result<LogWritten, ServiceError>;
    /// Session id → its log entries; sessions without a log are absent.
    async fn call_log_matches(
        &self,
        session_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, ServiceError>;
    /// Conversation-log id → its log entries.
    async fn message_log_matches(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, ServiceError>;
    /// The status line the matchers add for the entry `entry_key` when its delivery needs the
    /// user ([`crate::logging::notice::delivery_status_lines`]), as of the outbox's last
    /// reading; asked once per matched id, so answered from memory.
    fn delivery_status_line(&self, _entry_key: &str) -> Option<Value> {
        None
    }
    /// A contact's logged calls and messages, newest first.
    async fn activities(&self, contact_id: &str) -> Result<Vec<Activity>, ServiceError>;
    /// The entry with this key.
    async fn entry(&self, key: &str) -> Result<Option<JournalEntry>, ServiceError>;
    /// How many entries the journal holds and where the outbox stands.
    async fn summary(&self) -> Result<LogSummary, ServiceError>;
    /// The entries a query asks for, newest first (options page, exports).
    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, ServiceError>;
    /// The waiting deliveries, bodies left out (options page).
    async fn waiting(&self) -> Result<Vec<Delivery>, ServiceError>;
    /// The user's "retry now" on these deliveries (all when `keys` is empty); how many.
    async fn retry_deliveries(&self, keys: &[String]) -> Result<usize, ServiceError>;
    /// The user's "discard" of these deliveries (the journal keeps the entries); how many.
    async fn discard_deliveries(&self, keys: &[String]) -> Result<usize, ServiceError>;
    /// "Forget this site": removes the entries logged against its contacts and every delivery
    /// of them or to its webhook; how many entries.
    async fn forget_site(&self, site: &str) -> Result<usize, ServiceError>;
    /// Adds entries of an exported journal (checked by the caller) that this journal does not
    /// hold; entries it holds stay as they are, and nothing is queued for delivery.
    async fn import_entries(
        &self,
        entries: Vec<JournalEntry>,
    ) -> Result<crate::logging::journal_import::JournalImport, ServiceError>;
}

/// The journal and outbox at a glance (popup, options page, tests).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogSummary {
    /// Journal entries (calls and conversation-days).
    pub entries: usize,
    /// Deliveries waiting in the outbox.
    pub waiting: usize,
    /// Of those, the ones that need the user (failing for a while, or refused).
    pub attention: usize,
    /// The most recent error of a waiting delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl LogSummary {
    /// The summary of `entries` journal entries and these waiting deliveries.
    pub fn of(entries: usize, waiting: &[Delivery]) -> Self {
        Self {
            entries,
            waiting: waiting.len(),
            attention: waiting.iter().filter(|d| d.needs_attention()).count(),
            last_error: waiting
                .iter()
                .filter(|d| d.last_error.is_some())
                .max_by(|a, b| a.due.total_cmp(&b.due))
                .and_then(|d| d.last_error.clone()),
        }
    }
}

/// A do-not-contact verdict (§4.20).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoNotContactVerdict {
    /// True when a number is on the list.
    pub result: bool,
    /// Why, shown to the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `restrict` blocks; otherwise the user is asked to confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// Settings and lists the service reads and the widget may change.
pub trait ServiceState {
    /// The widget-side settings items (§4.12), with the user's values.
    async fn widget_settings(&self) -> Vec<Value>;
    /// Keeps the items the user changed in the widget.
    async fn save_widget_settings(&self, items: Vec<Value>) -> Result<(), ServiceError>;
    /// Whether any of these numbers may not be contacted.
    async fn do_not_contact(&self, numbers: &[String])
        -> Result<DoNotContactVerdict, ServiceError>;
    /// The options of a contact's site, or without a site, of the only site that has a
    /// call-log form; `None` when there is none.
    async fn site_options(&self, site: Option<&str>) -> Option<SiteOptions>;
    /// Where logs are delivered, as configured now.
    async fn log_destinations(&self) -> Destinations;
    /// Whether a number is one of the user's company's own (never matched to a contact).
    async fn is_own_number(&self, number: &str) -> bool;
    /// Whether the user has connected crm-bridge in the widget (the authorization button).
    async fn authorized(&self) -> bool;
    /// Records the new authorization state.
    async fn set_authorized(&self, authorized: bool) -> Result<(), ServiceError>;
}
