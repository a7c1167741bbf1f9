//! The contact model shared by discovery, the store and the widget answers, and the rules
//! every contact source follows: number keys, search keys, stored records and sync paging.

pub mod change_tail;
pub mod exchange;
pub mod explain;
pub mod import_batch;
pub mod import_flow;
pub mod memory_index;
pub mod merge;
pub mod number_key;
pub mod record;
pub mod search;

use number_key::NumberKey;
use serde::{Deserialize, Serialize};

/// One person (or company) known for a site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Stable per site (from the record URL or a recipe's id field).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Numbers, E.164 where discovery could tell the region.
    #[serde(default)]
    pub phone_numbers: Vec<ContactPhone>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Company or organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// The contact's CRM record, opened on "view contact" and on an incoming call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_url: Option<String>,
    /// The enabled site the contact was found on (its pattern as text); picks the site's
    /// call-log form and do-not-contact list. Never sent to the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// A tombstone: the contact was removed from the CRM (sent as `deleted: true`).
    #[serde(default)]
    pub deleted: bool,
    /// Seen only in a list row or card, not on its own record page: what a later sighting shows
    /// is added to it rather than replacing it (see [`merge::merge_seen`]). Never sent to the widget.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// When discovery last saw it on a page (ms since the epoch). Never sent to the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<f64>,
    /// A record page under this contact's address that shared neither its name nor a number
    /// (see [`merge::merge_seen`]): what it showed, kept until a second sighting confirms it.
    /// Never sent to the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<String>,
}

/// One number of a contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPhone {
    /// E.164 when known, else as displayed.
    pub phone_number: String,
    /// One of the widget's phone types (`mobile`, `business`, `home`, `fax`, `other`, …).
    #[serde(default = "other_type")]
    pub phone_type: String,
    /// The number as the page showed it (`(030) 123 45 67`), for people reading our lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

fn other_type() -> String {
    "other".to_owned()
}

impl Contact {
    /// The lines of the contact's numbers (numbers too short to identify one are left out).
    pub fn lines(&self) -> impl Iterator<Item = NumberKey> + '_ {
        self.phone_numbers
            .iter()
            .filter_map(|p| NumberKey::parse(&p.phone_number))
    }

    /// Whether one of the contact's numbers is the line `asked` (see [`NumberKey::same_line`]).
    pub fn has_line(&self, asked: &NumberKey) -> bool {
        !self.deleted && self.lines().any(|k| k.same_line(asked))
    }

    /// The contact as the widget reads it (protocol.md §4.1): `type` is our service name; our own
    /// fields (record URL, a number's display form) are not sent, nor `deleted` unless true.
    /// The widget keeps every field it gets in memory for as long as it is loaded.
    pub fn to_widget(&self, service_name: &str) -> serde_json::Value {
        serde_json::to_value(self.widget_view(service_name)).unwrap_or_default()
    }

    /// [`Contact::to_widget`]'s shape, borrowed: written straight to JSON text where many
    /// contacts go at once (a full sync's page).
    pub fn widget_view<'a>(&'a self, service_name: &'a str) -> WidgetContact<'a> {
        WidgetContact {
            id: &self.id,
            kind: service_name,
            name: &self.name,
            phone_numbers: self
                .phone_numbers
                .iter()
                .map(|phone| WidgetPhone {
                    phone_number: &phone.phone_number,
                    phone_type: &phone.phone_type,
                })
                .collect(),
            emails: &self.emails,
            deleted: self.deleted,
            company: self.company.as_deref(),
            job_title: self.job_title.as_deref(),
        }
    }
}

/// A contact as the widget reads it (see [`Contact::to_widget`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetContact<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    name: &'a str,
    phone_numbers: Vec<WidgetPhone<'a>>,
    emails: &'a [String],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_title: Option<&'a str>,
}

/// A number as the widget reads it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WidgetPhone<'a> {
    phone_number: &'a str,
    phone_type: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_shape_has_type_and_no_record_url() {
        let contact = Contact {
            id: "101".into(),
            name: "Ava Thompson".into(),
            phone_numbers: vec![ContactPhone {
                phone_number: "+12065550134".into(),
                phone_type: "business".into(),
                display: Some("(206) 555-0134".into()),
            }],
            company: Some("Northwind".into()),
            record_url: Some("https://crm.test/contacts/101".into()),
            ..Default::default()
        };
        let widget = contact.to_widget("crm-bridge");
        assert_eq!(widget["type"], "crm-bridge");
        assert_eq!(
            widget["phoneNumbers"],
            serde_json::json!([{ "phoneNumber": "+12065550134", "phoneType": "business" }])
        );
        assert_eq!(widget["company"], "Northwind");
        assert!(widget.get("recordUrl").is_none());
        assert!(
            widget.get("deleted").is_none(),
            "only a removal says deleted"
        );
        let removed = Contact {
            deleted: true,
            ..contact
        };
        assert_eq!(removed.to_widget("crm-bridge")["deleted"], true);
    }
}
