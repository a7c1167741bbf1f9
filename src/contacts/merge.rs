//! One contact seen on several pages: a list row, then its record page, then the list again.
//! Discovery reports each sighting; this rule folds it into what is stored, so a list row never
//! wipes the numbers its record page showed, and a record page is the truth about its record.

use crate::contacts::number_key::NumberKey;
use crate::contacts::search::fold;
use crate::contacts::{Contact, ContactPhone};

/// How stale `seen_at` may get before a sighting that changes nothing else is written again
/// (so browsing the same list does not rewrite and re-sync every contact on it).
pub const SEEN_AT_GRANULARITY_MS: f64 = 3_600_000.0;

/// What to store when `seen` (a fresh sighting, `id` local to its site) meets `stored`.
///
/// - Nothing stored, or a tombstone: the sighting as it is.
/// - The sighting is a record page (`partial == false`): it replaces what was known; only a
///   record URL it lacks is kept. But a page's address alone is no proof of whose record it
///   shows (a script can `history.replaceState` any address): a record page that shares
///   neither the stored record's name nor any of its numbers replaces nothing until a second
///   sighting shows the same again.
/// - The sighting is a list row or card: its numbers and e-mails are added to the stored ones,
///   and its name and company are taken only when the stored contact was partial too. A row or
///   card that links to a record page already read but shows another person (a comment by
///   Mallory linking to Jane's record) adds nothing to it.
pub fn merge_seen(stored: Option<&Contact>, seen: Contact) -> Contact {
    let Some(stored) = stored.filter(|s| !s.deleted) else {
        return seen;
    };
    if seen.partial && !stored.partial && !names_agree(&stored.name, &seen.name) {
        return stored.clone();
    }
    let mut merged = if seen.partial {
        let mut merged = stored.clone();
        if stored.partial {
            merged.name = seen.name.clone();
            merged.company = seen.company.clone().or(merged.company);
            merged.job_title = seen.job_title.clone().or(merged.job_title);
        }
        add_numbers(&mut merged.phone_numbers, &seen.phone_numbers);
        for email in &seen.emails {
            if !merged.emails.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                merged.emails.push(email.clone());
            }
        }
        merged.partial = stored.partial;
        merged.record_url = seen.record_url.clone().or(merged.record_url);
        merged
    } else if stored.partial
        || agrees(stored, &seen)
        || stored.unconfirmed.as_deref() == Some(fingerprint(&seen).as_str())
    {
        let mut merged = seen.clone();
        merged.record_url = merged.record_url.or_else(|| stored.record_url.clone());
        merged.unconfirmed = None;
        merged
    } else {
        let mut merged = stored.clone();
        merged.unconfirmed = Some(fingerprint(&seen));
        merged
    };
    merged.id = seen.id;
    merged.seen_at = fresher(stored.seen_at, seen.seen_at);
    let only_seen_at_moved = Contact {
        seen_at: stored.seen_at,
        ..merged.clone()
    } == *stored;
    if only_seen_at_moved && !stale(stored.seen_at, merged.seen_at) {
        merged.seen_at = stored.seen_at;
    }
    merged
}

/// Whether a record page's sighting is plausibly the stored record: the same name (folded), or
/// at least one of the same numbers.
fn agrees(stored: &Contact, seen: &Contact) -> bool {
    let same_name = !seen.name.is_empty() && fold(&stored.name) == fold(&seen.name);
    let stored_lines: Vec<NumberKey> = stored.lines().collect();
    same_name || seen.lines().any(|line| stored_lines.contains(&line))
}

/// Whether two names may be the same person's: "Ada Lovelace", "A. Lovelace", "Lovelace, Ada",
/// "山田 太郎" and "山田太郎" do; "Mallory" and "Ada Lovelace" do not. A sighting without a
/// name agrees with any.
fn names_agree(a: &str, b: &str) -> bool {
    let (a, b) = (fold(a), fold(b));
    let compact = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
    let (whole_a, whole_b) = (compact(&a), compact(&b));
    if whole_a.is_empty() || whole_b.is_empty() {
        return true;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_owned)
            .collect()
    };
    let words_b = words(&b);
    whole_a.contains(&whole_b)
        || whole_b.contains(&whole_a)
        || words(&a).iter().any(|w| words_b.contains(w))
}

/// What identifies a sighting's content, to tell a second, identical one.
fn fingerprint(seen: &Contact) -> String {
    let mut lines: Vec<String> = seen.lines().map(|l| l.national).collect();
    lines.sort();
    format!("{}|{}", fold(&seen.name), lines.join(","))
}

/// Adds the numbers not known yet. A number is known when it is the same line, or when the page
/// wrote it the same way as a known one: a list that says nothing of a contact's country may
/// read "(02) 9374 4011" with another region than the record page did, and that reading must
/// not become a second, wrong number of the contact.
fn add_numbers(numbers: &mut Vec<ContactPhone>, more: &[ContactPhone]) {
    let digits = |text: &str| -> String { text.chars().filter(char::is_ascii_digit).collect() };
    for phone in more {
        let key = NumberKey::parse(&phone.phone_number);
        let shown = phone.display.as_deref().map(digits);
        let known = numbers.iter().any(|p| {
            let same_text = shown.is_some() && p.display.as_deref().map(digits) == shown;
            same_text
                || match (&key, NumberKey::parse(&p.phone_number)) {
                    (Some(key), Some(other)) => *key == other,
                    _ => p.phone_number == phone.phone_number,
                }
        });
        if !known {
            numbers.push(phone.clone());
        }
    }
}

fn fresher(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn stale(stored: Option<f64>, now: Option<f64>) -> bool {
    match (stored, now) {
        (Some(stored), Some(now)) => now - stored >= SEEN_AT_GRANULARITY_MS,
        (None, Some(_)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(number: &str) -> ContactPhone {
        ContactPhone {
            phone_number: number.into(),
            phone_type: "other".into(),
            display: None,
        }
    }

    fn row(name: &str, numbers: &[&str], at: f64) -> Contact {
        Contact {
            id: "/contacts/7".into(),
            name: name.into(),
            phone_numbers: numbers.iter().map(|n| phone(n)).collect(),
            record_url: Some("https://crm.test/contacts/7".into()),
            partial: true,
            seen_at: Some(at),
            ..Contact::default()
        }
    }

    fn record_page(numbers: &[&str], at: f64) -> Contact {
        Contact {
            name: "Ada Lovelace".into(),
            partial: false,
            ..row("", numbers, at)
        }
    }

    #[test]
    fn a_list_row_adds_to_what_the_record_page_showed_and_never_wipes_it() {
        let page = record_page(&["+442079460018", "+447700900123"], 1.0);
        let merged = merge_seen(Some(&page), row("A. Lovelace", &["+44 20 7946 0018"], 2.0));
        assert_eq!(
            merged.name, "Ada Lovelace",
            "the record page's name wins over a list's"
        );
        assert_eq!(
            merged.phone_numbers.len(),
            2,
            "the same line is not added twice"
        );
        assert!(!merged.partial);
        let more = merge_seen(Some(&merged), row("A. Lovelace", &["+15555550100"], 3.0));
        assert_eq!(more.phone_numbers.len(), 3);
    }

    #[test]
    fn a_record_page_replaces_what_is_known_of_its_record() {
        let known = row("Ada", &["+442079460018", "+447700900123"], 1.0);
        let merged = merge_seen(Some(&known), record_page(&["+447700900123"], 2.0));
        assert_eq!(merged.phone_numbers, vec![phone("+447700900123")]);
        assert_eq!(merged.name, "Ada Lovelace");
        assert!(!merged.partial);
    }

    #[test]
    fn a_record_page_that_shares_nothing_with_its_record_replaces_nothing_until_seen_twice() {
        // A script rewrote the address to /contacts/7 and shows someone else.
        let known = record_page(&["+442079460018"], 1.0);
        let mut impostor = record_page(&["+19005550100"], 2.0);
        impostor.name = "Mallory".into();
        let merged = merge_seen(Some(&known), impostor.clone());
        assert_eq!(merged.name, "Ada Lovelace");
        assert_eq!(merged.phone_numbers, known.phone_numbers);
        assert!(merged.unconfirmed.is_some());
        // The same again (the record really changed): now it is taken.
        let twice = merge_seen(Some(&merged), impostor);
        assert_eq!(twice.name, "Mallory");
        assert_eq!(twice.unconfirmed, None);
        // A change that keeps the name or a number is taken at once.
        let renamed = merge_seen(
            Some(&known),
            record_page(&["+442079460018", "+447700900123"], 3.0),
        );
        assert_eq!(renamed.phone_numbers.len(), 2);
    }

    #[test]
    fn a_card_showing_someone_else_adds_nothing_to_a_record_page() {
        // A comment by Mallory, linking to Ada's record, with a number of Mallory's choosing.
        let page = record_page(&["+442079460018"], 1.0);
        let merged = merge_seen(Some(&page), row("Mallory", &["+19005550100"], 2.0));
        assert_eq!(merged, page);
        for same in ["Lovelace, Ada", "A. Lovelace", "ada lovelace", ""] {
            let more = merge_seen(Some(&page), row(same, &["+19005550100"], 2.0));
            assert_eq!(more.phone_numbers.len(), 2, "{same:?} is Ada");
        }
        assert!(names_agree("山田 太郎", "山田太郎"));
        assert!(!names_agree("山田太郎", "鈴木花子"));
    }

    #[test]
    fn a_number_shown_the_same_way_but_read_with_another_region_is_not_added() {
        let mut page = record_page(&["+61293744011"], 1.0);
        page.phone_numbers[0].display = Some("(02) 9374 4011".into());
        let mut list = row("Olivia", &["+4929374 4011"], 2.0);
        list.phone_numbers[0].display = Some("(02) 9374 4011".into());
        assert_eq!(merge_seen(Some(&page), list).phone_numbers.len(), 1);
    }

    #[test]
    fn rows_refresh_rows_and_tombstones_are_replaced() {
        let merged = merge_seen(
            Some(&row("Ada", &["+442079460018"], 1.0)),
            row("Ada L.", &[], 2.0),
        );
        assert_eq!(merged.name, "Ada L.");
        assert_eq!(merged.phone_numbers.len(), 1);
        let tombstone = Contact {
            deleted: true,
            ..row("Gone", &["+1"], 1.0)
        };
        assert_eq!(
            merge_seen(Some(&tombstone), row("Back", &[], 2.0)).name,
            "Back"
        );
    }

    #[test]
    fn seeing_an_unchanged_contact_again_soon_changes_nothing() {
        let stored = row("Ada", &["+442079460018"], 1_000.0);
        let again = merge_seen(Some(&stored), row("Ada", &["+442079460018"], 5_000.0));
        assert_eq!(again, stored, "not rewritten, so not re-synced");
        let later = 1_000.0 + SEEN_AT_GRANULARITY_MS;
        let hour = merge_seen(Some(&stored), row("Ada", &["+442079460018"], later));
        assert_eq!(
            hour.seen_at,
            Some(later),
            "last seen moves on after an hour"
        );
    }
}
