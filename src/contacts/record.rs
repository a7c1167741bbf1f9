//! The stored form of a contact and the rules of the widget's contact sync over it.
//!
//! One record per contact per site, keyed `<site>#<id>` (that key is also the id the widget
//! sees, so two sites' contact "17" never collide). Each write takes the next number of one
//! change sequence; the widget's `syncTimestamp` is that number, and pages continue after the
//! last sequence number sent (keyset paging), so a sync that interleaves with writes skips
//! nothing.

use crate::contacts::number_key::NumberKey;
use crate::contacts::search::contact_tokens;
use crate::contacts::Contact;
use serde::{Deserialize, Serialize};

/// One stored contact, with the keys the store indexes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactRecord {
    /// `<site>#<id>`: primary key and the widget's contact id.
    pub key: String,
    /// The site pattern the contact belongs to.
    pub site: String,
    /// The site again, for live records only: the `site` index is on this field, so it counts
    /// and lists a site's live contacts without reading tombstones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_site: Option<String>,
    /// Change sequence number of the last write (unique, increasing).
    pub seq: u64,
    /// A tombstone: kept so delta syncs can tell the widget.
    #[serde(default)]
    pub deleted: bool,
    /// National significant numbers (multi-entry index for matching).
    #[serde(default)]
    pub numbers: Vec<String>,
    /// Search tokens (multi-entry index for search).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// The contact, with `id` = `key` and `site` set.
    pub contact: Contact,
}

/// The newest sighting among `contacts` (when a page or a bulk import read them), kept per
/// site as its "last read" for the options page; `None` for contacts from a file.
pub fn newest_sighting(contacts: &[crate::contacts::Contact]) -> Option<f64> {
    contacts
        .iter()
        .filter_map(|c| c.seen_at)
        .max_by(f64::total_cmp)
}

/// The key of a site's contact.
pub fn record_key(site: &str, id: &str) -> String {
    format!("{site}#{id}")
}

/// Whether `url` is a page of `site`. A contact's record URL from anywhere else is never
/// stored nor opened: an enabled page's user content may link to any origin, and "view
/// contact" must never take the user there.
pub fn is_on_site(site: &str, url: &str) -> bool {
    match (
        crate::sites::SitePattern::parse(site),
        crate::url::WebUrl::parse(url),
    ) {
        (Ok(site), Ok(url)) => site.matches(&url),
        _ => false,
    }
}

impl ContactRecord {
    /// A live record for `contact` (its `id` local to `site`) at sequence `seq`.
    pub fn live(site: &str, mut contact: Contact, seq: u64) -> Self {
        let key = record_key(site, &contact.id);
        contact.id = key.clone();
        contact.site = Some(site.to_owned());
        contact.record_url = contact.record_url.filter(|url| is_on_site(site, url));
        contact.deleted = false;
        let mut numbers: Vec<String> = contact
            .phone_numbers
            .iter()
            .filter_map(|p| NumberKey::parse(&p.phone_number))
            .map(|k| k.national)
            .collect();
        numbers.sort();
        numbers.dedup();
        Self {
            key,
            site: site.to_owned(),
            live_site: Some(site.to_owned()),
            seq,
            deleted: false,
            numbers,
            tokens: contact_tokens(&contact),
            contact,
        }
    }

    /// The contact with its id local to its site again (as it was written; for export).
    pub fn local_contact(&self) -> Contact {
        let mut contact = self.contact.clone();
        let prefix = format!("{}#", self.site);
        if let Some(local) = contact.id.strip_prefix(&prefix) {
            contact.id = local.to_owned();
        }
        contact.site = None;
        contact
    }

    /// The tombstone of this record at sequence `seq`: no longer matched nor found.
    pub fn tombstone(&self, seq: u64) -> Self {
        let mut contact = self.contact.clone();
        contact.deleted = true;
        Self {
            seq,
            live_site: None,
            deleted: true,
            numbers: Vec::new(),
            tokens: Vec::new(),
            contact,
            ..self.clone()
        }
    }

    /// Whether writing `contact` would change what is stored (an unchanged contact seen again
    /// on a page keeps its sequence number, so the widget does not re-sync it).
    pub fn differs_from(&self, site: &str, contact: &Contact) -> bool {
        self.deleted || *self != Self::live(site, contact.clone(), self.seq)
    }
}

/// What a sync page needs of a record (reading only this skips parsing its index keys).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SyncedRecord {
    /// Change sequence number.
    pub seq: u64,
    /// A tombstone.
    #[serde(default)]
    pub deleted: bool,
    /// The contact as the widget gets it.
    pub contact: Contact,
}

impl From<ContactRecord> for SyncedRecord {
    fn from(record: ContactRecord) -> Self {
        Self {
            seq: record.seq,
            deleted: record.deleted,
            contact: record.contact,
        }
    }
}

/// Which records one `contactsPath` request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncWindow {
    /// Read records with `seq >= from_seq`, in sequence order.
    pub from_seq: u64,
    /// A full sync: tombstones are skipped (the widget replaces its list).
    pub full: bool,
}

impl SyncWindow {
    /// From the widget's `syncTimestamp` (our cursor: the first sequence number it has not
    /// seen, or none) and `page` (1, or the `nextPage` we returned: the sequence number to
    /// continue from).
    pub fn of(since: Option<u64>, page: u64) -> Self {
        Self {
            from_seq: since.unwrap_or(1).max(page),
            full: since.is_none(),
        }
    }

    /// Whether this is the first page of a full sync (the one that may start later).
    pub fn is_first_full_page(&self) -> bool {
        self.full && self.from_seq == 1
    }

    /// Starts a full sync at the newest records: `oldest_kept` is the sequence number of the
    /// oldest record the Contacts tab gets (none when the store holds fewer than the limit).
    pub fn starting_at(self, oldest_kept: Option<u64>) -> Self {
        Self {
            from_seq: self.from_seq.max(oldest_kept.unwrap_or(1)),
            ..self
        }
    }

    /// The answer for the records read (in sequence order, at most `page_size` of them, the
    /// window's tombstones included) while the highest sequence number was `latest`: the
    /// contacts, the next page, and the cursor `latest + 1` (never 0, which the widget would
    /// take for "no cursor"; and an empty store's cursor 1 still covers its first write).
    pub fn page(
        &self,
        records: Vec<SyncedRecord>,
        page_size: usize,
        latest: u64,
    ) -> (Vec<Contact>, Option<u64>, u64) {
        let next = match records.last() {
            Some(last) if records.len() >= page_size => Some(last.seq + 1),
            _ => None,
        };
        let contacts = records
            .into_iter()
            .filter(|r| !(self.full && r.deleted))
            .map(|r| r.contact)
            .collect();
        (contacts, next, latest + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ContactPhone;

    #[test]
    fn a_record_url_off_the_contacts_site_is_not_kept() {
        let on = |url: &str| {
            let contact = Contact {
                id: "17".into(),
                record_url: Some(url.into()),
                ..Contact::default()
            };
            ContactRecord::live("https://*.crm.example", contact, 1)
                .contact
                .record_url
        };
        assert_eq!(on("https://evil.example/contacts/17"), None);
        assert_eq!(
            on("http://eu.crm.example/contacts/17"),
            None,
            "another scheme"
        );
        assert_eq!(on("javascript:alert(1)"), None);
        assert_eq!(
            on("https://eu.crm.example/contacts/17").as_deref(),
            Some("https://eu.crm.example/contacts/17")
        );
    }

    fn ava() -> Contact {
        Contact {
            id: "17".into(),
            name: "Ava".into(),
            phone_numbers: vec![
                ContactPhone {
                    phone_number: "+1 (206) 555-0134".into(),
                    phone_type: "mobile".into(),
                    display: None,
                },
                ContactPhone {
                    phone_number: "206.555.0134".into(),
                    phone_type: "work".into(),
                    display: None,
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn records_are_keyed_by_site_and_indexed_by_national_number() {
        let record = ContactRecord::live("https://crm.example.com", ava(), 5);
        assert_eq!(record.key, "https://crm.example.com#17");
        assert_eq!(
            record.contact.id, record.key,
            "the widget sees the site-scoped id"
        );
        assert_eq!(
            record.local_contact(),
            ava(),
            "export gives back what was written"
        );
        assert_eq!(record.numbers, vec!["2065550134"]);
        assert!(record.tokens.contains(&"ava".to_owned()));
        let dead = record.tombstone(9);
        assert!(dead.deleted && dead.contact.deleted && dead.numbers.is_empty());
        assert_eq!(record.live_site.as_deref(), Some("https://crm.example.com"));
        assert_eq!(dead.live_site, None, "tombstones are not in the site index");
        assert_eq!(dead.seq, 9);
    }

    #[test]
    fn an_unchanged_contact_is_not_rewritten() {
        let site = "https://crm.example.com";
        let record = ContactRecord::live(site, ava(), 5);
        assert!(!record.differs_from(site, &ava()));
        let mut renamed = ava();
        renamed.name = "Ava T.".into();
        assert!(record.differs_from(site, &renamed));
        assert!(record.tombstone(6).differs_from(site, &ava()), "revived");
    }

    #[test]
    fn pages_continue_after_the_last_sequence_number() {
        let first = SyncWindow::of(None, 1);
        assert_eq!(
            first,
            SyncWindow {
                from_seq: 1,
                full: true
            }
        );
        let records: Vec<ContactRecord> = (1..=3)
            .map(|seq| {
                let mut c = ava();
                c.id = seq.to_string();
                let r = ContactRecord::live("s", c, seq * 2);
                if seq == 2 {
                    r.tombstone(seq * 2)
                } else {
                    r
                }
            })
            .collect();
        let records: Vec<SyncedRecord> = records.into_iter().map(Into::into).collect();
        let (contacts, next, cursor) = first.page(records.clone(), 3, 40);
        assert_eq!(contacts.len(), 2, "a full sync skips tombstones");
        assert_eq!(next, Some(7));
        assert_eq!(cursor, 41);
        assert_eq!(SyncWindow::of(None, 7).from_seq, 7);
        let delta = SyncWindow::of(Some(41), 1);
        assert_eq!(
            delta,
            SyncWindow {
                from_seq: 41,
                full: false
            }
        );
        let (contacts, next, _) = delta.page(records, 10, 40);
        assert_eq!(contacts.len(), 3, "a delta carries tombstones");
        assert_eq!(next, None);
        let empty = SyncWindow::of(None, 1).page(vec![], 3, 0).2;
        assert_eq!(empty, 1, "never 0");
        assert_eq!(
            SyncWindow::of(Some(empty), 1).from_seq,
            1,
            "the first write is covered"
        );
        let newest = SyncWindow::of(None, 1).starting_at(Some(500));
        assert_eq!(
            newest.from_seq, 500,
            "a full sync may start at the newest records"
        );
        assert!(!SyncWindow::of(None, 501).is_first_full_page());
    }
}
