//! In-memory data for the router: the fakes the core is tested with, and what the background
//! uses until the IndexedDB store (issue 7) and the log journal (issue 8) replace them.

use crate::contacts::import_batch::{admit, BatchStep, OpenBatch};
use crate::contacts::number_key::NumberKey;
use crate::contacts::record::{
    newest_sighting, record_key, ContactRecord, SyncWindow, SyncedRecord,
};
use crate::contacts::search::{best_first, SearchQuery};
use crate::contacts::Contact;
use crate::logging::destinations::{forgotten_with, Destinations};
use crate::logging::entry::JournalEntry;
use crate::logging::journal::{activity, log_match, JournalWrite};
use crate::logging::journal_view::JournalQuery;
use crate::logging::merge::{merge_call, merge_messages, ContactLink};
use crate::logging::outbox::Delivery;
use crate::protocol::bridge::ImportBatch;
use crate::service::data::*;
use crate::service::requests::{CallLog, MessageLog};
use crate::settings::site_options::SiteOptions;
use crate::sites::SitePattern;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// Contacts with a change sequence, following the same rules as the IndexedDB store
/// ([`crate::contacts::record`], [`crate::contacts::search`], [`NumberKey`]) without its
/// site-scoped keys: ids stay as given, which keeps router tests readable.
#[derive(Debug)]
pub struct MemoryContacts {
    entries: RefCell<BTreeMap<String, ContactRecord>>,
    last_read: RefCell<BTreeMap<String, f64>>,
    sequence: Cell<u64>,
    page_size: usize,
    /// The import batch being written, and its chunks so far (kept when the last arrives).
    batch: RefCell<Option<(OpenBatch, Vec<Contact>)>>,
}

impl MemoryContacts {
    /// An empty source answering in pages of `page_size`.
    pub fn new(page_size: usize) -> Self {
        Self {
            entries: RefCell::new(BTreeMap::new()),
            last_read: RefCell::new(BTreeMap::new()),
            sequence: Cell::new(0),
            page_size: page_size.max(1),
            batch: RefCell::new(None),
        }
    }

    /// Adds or replaces a contact.
    pub fn upsert(&self, contact: Contact) {
        let seq = self.next();
        let site = contact.site.clone().unwrap_or_default();
        let id = contact.id.clone();
        let mut record = ContactRecord::live(&site, contact, seq);
        record.key = id.clone();
        record.contact.id = id.clone();
        self.entries.borrow_mut().insert(id, record);
    }

    /// Marks a contact deleted (kept as a tombstone for delta syncs).
    pub fn remove(&self, id: &str) {
        let seq = self.next();
        let mut entries = self.entries.borrow_mut();
        if let Some(record) = entries.get(id).map(|r| r.tombstone(seq)) {
            entries.insert(id.to_owned(), record);
        }
    }

    fn next(&self) -> u64 {
        self.sequence.set(self.sequence.get() + 1);
        self.sequence.get()
    }
}

impl ContactSink for MemoryContacts {
    async fn upsert(
        &self,
        site: &str,
        contacts: Vec<Contact>,
    ) -> Result<WriteSummary, ServiceError> {
        self.note_read(site, &contacts);
        let mut summary = WriteSummary::default();
        for contact in contacts {
            let key = record_key(site, &contact.id);
            let old = self.entries.borrow().get(&key).cloned();
            if let Some(contact) = summary.note_seen(old.as_ref(), site, contact) {
                let record = ContactRecord::live(site, contact, self.next());
                self.entries.borrow_mut().insert(key, record);
            }
        }
        Ok(summary)
    }

    async fn import_part(
        &self,
        site: &str,
        contacts: Vec<Contact>,
        batch: &ImportBatch,
    ) -> Result<usize, ServiceError> {
        let written = {
            let mut open = self.batch.borrow_mut();
            match admit(open.as_ref().map(|(open, _)| open), site, batch) {
                Ok(BatchStep::Open) => {
                    *open = Some((OpenBatch::opened_by(site, batch), Vec::new()));
                }
                Ok(BatchStep::Continue) => {}
                Err(refusal) => {
                    if refusal.ends_open {
                        *open = None;
                    }
                    return Err(ServiceError(refusal.message));
                }
            }
            let Some((state, written)) = open.as_mut() else {
                unreachable!("opened above")
            };
            state.next_part += 1;
            if !batch.last {
                let count = contacts.len();
                written.extend(contacts);
                return Ok(count);
            }
            let mut written = std::mem::take(written);
            written.extend(contacts);
            *open = None;
            written
        };
        self.import(site, written).await
    }

    async fn import(&self, site: &str, contacts: Vec<Contact>) -> Result<usize, ServiceError> {
        self.note_read(site, &contacts);
        let count = contacts.len();
        for contact in contacts {
            let record = ContactRecord::live(site, contact, self.next());
            self.entries.borrow_mut().insert(record.key.clone(), record);
        }
        Ok(count)
    }

    async fn remove(&self, site: &str, ids: &[String]) -> Result<WriteSummary, ServiceError> {
        let mut removed = 0;
        for id in ids {
            let key = record_key(site, id);
            let live = self
                .entries
                .borrow()
                .get(&key)
                .filter(|r| !r.deleted)
                .cloned();
            if let Some(record) = live {
                let tombstone = record.tombstone(self.next());
                self.entries.borrow_mut().insert(key, tombstone);
                removed += 1;
            }
        }
        Ok(WriteSummary {
            removed,
            ..Default::default()
        })
    }

    async fn forget_site(&self, site: &str) -> Result<usize, ServiceError> {
        let keys: Vec<String> = self
            .entries
            .borrow()
            .values()
            .filter(|r| r.live_site.as_deref() == Some(site))
            .map(|r| r.key.clone())
            .collect();
        for key in &keys {
            let tombstone = self.entries.borrow()[key].tombstone(self.next());
            self.entries.borrow_mut().insert(key.clone(), tombstone);
        }
        self.last_read.borrow_mut().remove(site);
        Ok(keys.len())
    }

    async fn count(&self, site: &str) -> Result<usize, ServiceError> {
        Ok(self.site_contacts(site).len())
    }

    async fn last_read(&self, site: &str) -> Result<Option<f64>, ServiceError> {
        Ok(self.last_read.borrow().get(site).copied())
    }

    async fn export(&self, site: &str) -> Result<Vec<Contact>, ServiceError> {
        Ok(self.site_contacts(site))
    }
}

impl MemoryContacts {
    fn note_read(&self, site: &str, contacts: &[Contact]) {
        if let Some(at) = newest_sighting(contacts) {
            self.last_read.borrow_mut().insert(site.to_owned(), at);
        }
    }

    fn site_contacts(&self, site: &str) -> Vec<Contact> {
        self.entries
            .borrow()
            .values()
            .filter(|r| r.live_site.as_deref() == Some(site))
            .map(|r| r.local_contact())
            .collect()
    }
}

impl ContactSource for MemoryContacts {
    async fn contacts_page(
        &self,
        since: Option<u64>,
        page: u64,
    ) -> Result<ContactsPage, ServiceError> {
        let window = SyncWindow::of(since, page);
        let mut records: Vec<SyncedRecord> = self
            .entries
            .borrow()
            .values()
            .filter(|r| r.seq >= window.from_seq)
            .cloned()
            .map(Into::into)
            .collect();
        records.sort_by_key(|r| r.seq);
        records.truncate(self.page_size);
        let (contacts, next_page, sync_timestamp) =
            window.page(records, self.page_size, self.sequence.get());
        Ok(ContactsPage {
            contacts,
            next_page,
            sync_timestamp,
        })
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<Contact>, ServiceError> {
        let Some(query) = SearchQuery::parse(text) else {
            return Ok(Vec::new());
        };
        let scored = self
            .entries
            .borrow()
            .values()
            .filter_map(|r| Some((query.score(&r.contact)?, r.contact.clone())))
            .collect();
        Ok(best_first(scored, limit))
    }

    async fn match_numbers(
        &self,
        numbers: &[String],
    ) -> Result<BTreeMap<String, Vec<Contact>>, ServiceError> {
        let entries = self.entries.borrow();
        let mut found = BTreeMap::new();
        for number in numbers {
            let Some(asked) = NumberKey::parse(number) else {
                continue;
            };
            let matches: Vec<Contact> = entries
                .values()
                .filter(|r| r.numbers.contains(&asked.national) && r.contact.has_line(&asked))
                .map(|r| r.contact.clone())
                .collect();
            if !matches.is_empty() {
                found.insert(number.clone(), matches);
            }
        }
        Ok(found)
    }

    async fn contact(&self, id: &str) -> Result<Option<Contact>, ServiceError> {
        Ok(self.entries.borrow().get(id).map(|r| r.contact.clone()))
    }

    async fn on_national_number(&self, national: &str) -> Result<Vec<Contact>, ServiceError> {
        let national = national.to_owned();
        Ok(self
            .entries
            .borrow()
            .values()
            .filter(|r| !r.contact.deleted && r.numbers.contains(&national))
            .map(|r| r.contact.clone())
            .collect())
    }
}

/// The journal and outbox in memory, with the same rules as the IndexedDB store
/// ([`crate::logging`]); a counting clock stands in for the wall clock.
#[derive(Debug, Default)]
pub struct MemoryLogs {
    entries: RefCell<BTreeMap<String, JournalEntry>>,
    outbox: RefCell<BTreeMap<String, Delivery>>,
    clock: Cell<f64>,
}

impl MemoryLogs {
    /// The waiting deliveries (tests).
    pub fn outbox(&self) -> Vec<Delivery> {
        self.outbox.borrow().values().cloned().collect()
    }

    /// Records an attempt's verdict, as the IndexedDB store's `settle` does (tests).
    pub fn settle(&self, sent: &Delivery, verdict: crate::logging::outbox::Verdict) {
        use crate::logging::outbox::Verdict;
        let mut outbox = self.outbox.borrow_mut();
        let same = outbox.get(&sent.key).is_some_and(|d| d.is_settled_by(sent));
        match verdict {
            Verdict::Delivered if same => {
                outbox.remove(&sent.key);
            }
            Verdict::Keep(next) if same => {
                outbox.insert(sent.key.clone(), *next);
            }
            _ => {}
        }
    }

    /// Every journal entry (tests).
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.borrow().values().cloned().collect()
    }

    fn tick(&self) -> f64 {
        self.clock.set(self.clock.get() + 1.0);
        self.clock.get()
    }

    fn write(&self, write: JournalWrite) -> LogWritten {
        let key = write.entry.key.clone();
        let queued = write.deliveries.len();
        let mut outbox = self.outbox.borrow_mut();
        for delivery in write.deliveries {
            outbox.insert(delivery.key.clone(), delivery);
        }
        if write.changed {
            self.entries.borrow_mut().insert(key.clone(), write.entry);
        }
        LogWritten { key, queued }
    }
}

impl LogStore for MemoryLogs {
    async fn log_call(
        &self,
        log: &CallLog,
        link: ContactLink,
        destinations: &Destinations,
    ) -> Result<LogWritten, ServiceError> {
        let now = self.tick();
        let key = JournalEntry::call_key(&log.call.session_id);
        let old = self.entries.borrow().get(&key).cloned();
        let merged = merge_call(old.as_ref(), log, link, now).map_err(|e| ServiceError(e.0))?;
        Ok(self.write(JournalWrite::of(merged, destinations, now)))
    }

    async fn log_message(
        &self,
        log: &MessageLog,
        link: ContactLink,
        destinations: &Destinations,
    ) -> Result<LogWritten, ServiceError> {
        let now = self.tick();
        let key = JournalEntry::messages_key(&log.conversation.conversation_log_id);
        let old = self.entries.borrow().get(&key).cloned();
        let merged = merge_messages(old.as_ref(), log, link, now).map_err(|e| ServiceError(e.0))?;
        Ok(self.write(JournalWrite::of(merged, destinations, now)))
    }

    async fn call_log_matches(
        &self,
        session_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, ServiceError> {
        Ok(self.matches(session_ids, JournalEntry::call_key))
    }

    async fn message_log_matches(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<LogMatch>>, ServiceError> {
        Ok(self.matches(ids, JournalEntry::messages_key))
    }

    async fn activities(&self, contact_id: &str) -> Result<Vec<Activity>, ServiceError> {
        let mut rows: Vec<Activity> = self
            .entries
            .borrow()
            .values()
            .filter(|e| e.contact_id.as_deref() == Some(contact_id))
            .map(activity)
            .collect();
        rows.sort_by(|a, b| b.time.total_cmp(&a.time));
        Ok(rows)
    }

    async fn entry(&self, key: &str) -> Result<Option<JournalEntry>, ServiceError> {
        Ok(self.entries.borrow().get(key).cloned())
    }

    async fn summary(&self) -> Result<LogSummary, ServiceError> {
        Ok(LogSummary::of(self.entries.borrow().len(), &self.outbox()))
    }

    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, ServiceError> {
        Ok(query.select(self.entries()))
    }

    fn delivery_status_line(&self, entry_key: &str) -> Option<Value> {
        crate::logging::notice::delivery_status_lines(&self.outbox()).remove(entry_key)
    }

    async fn waiting(&self) -> Result<Vec<Delivery>, ServiceError> {
        Ok(self.outbox().iter().map(Delivery::without_body).collect())
    }

    async fn retry_deliveries(&self, keys: &[String]) -> Result<usize, ServiceError> {
        let now = self.tick();
        let mut outbox = self.outbox.borrow_mut();
        let chosen = outbox
            .values_mut()
            .filter(|d| keys.is_empty() || keys.contains(&d.key));
        Ok(chosen.map(|d| *d = d.retried_by_user(now)).count())
    }

    async fn forget_site(&self, site: &str) -> Result<usize, ServiceError> {
        let mut entries = self.entries.borrow_mut();
        let gone: Vec<String> = entries
            .values()
            .filter(|e| e.contact.site.as_deref() == Some(site))
            .map(|e| e.key.clone())
            .collect();
        entries.retain(|key, _| !gone.contains(key));
        self.outbox
            .borrow_mut()
            .retain(|_, d| !forgotten_with(site, &d.destination, &d.entry_key, &gone));
        Ok(gone.len())
    }

    async fn import_entries(
        &self,
        entries: Vec<JournalEntry>,
    ) -> Result<crate::logging::journal_import::JournalImport, ServiceError> {
        let mut held = self.entries.borrow_mut();
        let mut import = crate::logging::journal_import::JournalImport::default();
        for entry in entries {
            if held.contains_key(&entry.key) {
                import.kept += 1;
            } else {
                held.insert(entry.key.clone(), entry);
                import.added += 1;
            }
        }
        Ok(import)
    }

    async fn discard_deliveries(&self, keys: &[String]) -> Result<usize, ServiceError> {
        let mut outbox = self.outbox.borrow_mut();
        let before = outbox.len();
        outbox.retain(|key, _| !(keys.is_empty() || keys.contains(key)));
        Ok(before - outbox.len())
    }
}

impl MemoryLogs {
    fn matches(
        &self,
        ids: &[String],
        key_of: fn(&str) -> String,
    ) -> BTreeMap<String, Vec<LogMatch>> {
        let entries = self.entries.borrow();
        ids.iter()
            .filter_map(|id| Some((id.clone(), vec![log_match(entries.get(&key_of(id))?)])))
            .collect()
    }
}

/// Widget settings items, the per-site options (do-not-contact lists, call-log forms) and the
/// authorization state; the background fills it from the stored settings.
#[derive(Debug)]
pub struct MemoryState {
    items: RefCell<Vec<Value>>,
    site_options: RefCell<BTreeMap<SitePattern, SiteOptions>>,
    own_numbers: RefCell<Vec<NumberKey>>,
    authorized: Cell<bool>,
}

impl MemoryState {
    /// State starting with these widget settings items, authorized.
    pub fn new(items: Vec<Value>) -> Self {
        Self {
            items: RefCell::new(items),
            site_options: RefCell::new(BTreeMap::new()),
            own_numbers: RefCell::new(Vec::new()),
            authorized: Cell::new(true),
        }
    }

    /// Replaces the widget settings items (when the stored settings are loaded).
    pub fn replace_widget_settings(&self, items: Vec<Value>) {
        *self.items.borrow_mut() = items;
    }

    /// Replaces the company's own numbers (when the stored settings are loaded or change).
    pub fn set_own_numbers(&self, numbers: &[String]) {
        *self.own_numbers.borrow_mut() =
            numbers.iter().filter_map(|n| NumberKey::parse(n)).collect();
    }

    /// Replaces the per-site options (when the stored settings are loaded or change).
    pub fn set_site_options(&self, options: BTreeMap<SitePattern, SiteOptions>) {
        *self.site_options.borrow_mut() = options;
    }
}

impl ServiceState for MemoryState {
    async fn widget_settings(&self) -> Vec<Value> {
        self.items.borrow().clone()
    }

    async fn save_widget_settings(&self, items: Vec<Value>) -> Result<(), ServiceError> {
        *self.items.borrow_mut() = items;
        Ok(())
    }

    async fn do_not_contact(
        &self,
        numbers: &[String],
    ) -> Result<DoNotContactVerdict, ServiceError> {
        Ok(do_not_contact_verdict(&self.site_options.borrow(), numbers))
    }

    async fn log_destinations(&self) -> Destinations {
        Destinations::of(&self.site_options.borrow())
    }

    async fn is_own_number(&self, number: &str) -> bool {
        let Some(asked) = NumberKey::parse(number) else {
            return false;
        };
        // An own main line written without an extension covers all its extensions.
        self.own_numbers
            .borrow()
            .iter()
            .any(|own| own.same_line(&asked))
    }

    async fn site_options(&self, site: Option<&str>) -> Option<SiteOptions> {
        let options = self.site_options.borrow();
        if let Some(site) = site.and_then(|s| SitePattern::parse(s).ok()) {
            return options.get(&site).cloned();
        }
        let mut with_form = options.values().filter(|o| !o.log_form.is_empty());
        match (with_form.next(), with_form.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        }
    }

    async fn authorized(&self) -> bool {
        self.authorized.get()
    }

    async fn set_authorized(&self, authorized: bool) -> Result<(), ServiceError> {
        self.authorized.set(authorized);
        Ok(())
    }
}

/// The do-not-contact verdict over every site's list. The phone is shared by all enabled sites
/// (one window, one side panel), so a number listed on any site is stopped wherever the call
/// starts; the message names the site and the reason. Blocked when any listing site restricts.
pub fn do_not_contact_verdict(
    options: &BTreeMap<SitePattern, SiteOptions>,
    numbers: &[String],
) -> DoNotContactVerdict {
    let mut verdict = DoNotContactVerdict {
        result: false,
        message: None,
        mode: None,
    };
    for number in numbers {
        for (site, site_options) in options {
            let Some(entry) = site_options.listed(number) else {
                continue;
            };
            let restrict = site_options.do_not_contact.restrict;
            if verdict.result && (verdict.mode.is_some() || !restrict) {
                continue; // keep the first reason, unless a later site blocks where it asked
            }
            let reason = match entry.reason.is_empty() {
                true => String::new(),
                false => format!(": {}", entry.reason),
            };
            verdict = DoNotContactVerdict {
                result: true,
                message: Some(format!(
                    "{number} is on the do-not-contact list of {site}{reason}"
                )),
                mode: restrict.then(|| "restrict".into()),
            };
        }
    }
    verdict
}
