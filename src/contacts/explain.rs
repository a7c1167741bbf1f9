//! "Why did this number not match?": how a number is read for matching, and which stored
//! numbers share its national digits, matched or not and why. For the options page, so a user
//! who sees "no related contact" can tell a format problem from a missing contact.

use super::number_key::{NumberKey, MIN_NATIONAL_DIGITS};
use super::Contact;
use serde::{Deserialize, Serialize};

/// How a number was read for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberReading {
    /// Country calling code, when the number carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// National significant number: what stored numbers are looked up by.
    pub national: String,
    /// Extension digits, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

/// A stored number that shares the asked number's national digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NearNumber {
    /// The contact's name.
    pub name: String,
    /// The contact's site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The number as stored (or as the page showed it).
    pub number: String,
    /// Whether it matches (the same line).
    pub matched: bool,
    /// Why it does or does not, in a sentence.
    pub why: String,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchExplanation {
    /// The number as typed.
    pub typed: String,
    /// How it was read; `None` when it has too few digits to identify a line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<NumberReading>,
    /// It is one of the company's own numbers: never matched to a contact.
    pub own_number: bool,
    /// Stored numbers with the same national digits, matched ones first.
    pub near: Vec<NearNumber>,
}

/// Explains `typed` against the contacts stored on its national number (`same_national`).
pub fn explain(typed: &str, own_numbers: &[String], same_national: &[Contact]) -> MatchExplanation {
    let Some(asked) = NumberKey::parse(typed) else {
        return MatchExplanation {
            typed: typed.to_owned(),
            reading: None,
            own_number: false,
            near: Vec::new(),
        };
    };
    let own_number = own_numbers
        .iter()
        .filter_map(|own| NumberKey::parse(own))
        .any(|own| own.same_line(&asked));
    let mut near = Vec::new();
    for contact in same_national.iter().filter(|c| !c.deleted) {
        for phone in &contact.phone_numbers {
            let Some(stored) = NumberKey::parse(&phone.phone_number) else {
                continue;
            };
            if stored.national != asked.national {
                continue;
            }
            let matched = stored.same_line(&asked) && !own_number;
            near.push(NearNumber {
                name: contact.name.clone(),
                site: contact.site.clone(),
                number: phone
                    .display
                    .clone()
                    .unwrap_or_else(|| phone.phone_number.clone()),
                matched,
                why: why(&asked, &stored, own_number),
            });
        }
    }
    near.sort_by_key(|n| !n.matched);
    MatchExplanation {
        typed: typed.to_owned(),
        reading: Some(NumberReading {
            country: asked.country,
            national: asked.national,
            extension: asked.extension,
        }),
        own_number,
        near,
    }
}

fn why(asked: &NumberKey, stored: &NumberKey, own_number: bool) -> String {
    if own_number {
        return "the number is one of your company's own, so it is never matched".into();
    }
    match (&asked.country, &stored.country) {
        (Some(a), Some(s)) if a != s => {
            return format!("stored with country code +{s}, asked with +{a}: another country")
        }
        _ => {}
    }
    match (&asked.extension, &stored.extension) {
        (Some(a), Some(s)) if a != s => {
            return format!("stored with extension {s}, asked with extension {a}: another line")
        }
        _ => {}
    }
    match (&asked.country, &stored.country) {
        (Some(_), None) => "same national digits; stored without a country code, so they are \
                            matched as a person reading it would"
            .into(),
        _ => "the same number".into(),
    }
}

/// What the options page says when nothing shares the national digits.
pub fn no_near_numbers(reading: &Option<NumberReading>) -> String {
    match reading {
        None => format!(
            "fewer than {MIN_NATIONAL_DIGITS} digits after the country code: too short to \
             identify a line, never matched"
        ),
        Some(reading) => format!(
            "no stored number has the national digits {}: the contact is not in this browser \
             yet, or its number is stored with other digits (e.g. without its area code)",
            reading.national
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(name: &str, numbers: &[&str]) -> Contact {
        serde_json::from_value(json!({
            "id": name, "name": name, "site": "https://crm.example.com",
            "phoneNumbers": numbers.iter().map(|n| json!({ "phoneNumber": n })).collect::<Vec<_>>()
        }))
        .unwrap()
    }

    #[test]
    fn explains_matches_and_near_misses() {
        let stored = [
            contact("Ava", &["+12065550134"]),
            contact("Olga", &["+442065550134"]),
            contact("Marcus", &["(206) 555-0134 x204"]),
        ];
        let answer = explain("+1 (206) 555-0134", &[], &stored);
        let reading = answer.reading.clone().unwrap();
        assert_eq!(reading.country.as_deref(), Some("1"));
        assert_eq!(reading.national, "2065550134");
        let seen: Vec<(&str, bool)> = answer
            .near
            .iter()
            .map(|n| (n.name.as_str(), n.matched))
            .collect();
        assert_eq!(seen, [("Ava", true), ("Marcus", true), ("Olga", false)]);
        assert!(
            answer.near[2].why.contains("country code +44"),
            "{}",
            answer.near[2].why
        );
        assert!(answer.near[1].why.contains("without a country code"));
        // With an extension: another extension is another line.
        let ext = explain("+1 206 555 0134 ext. 205", &[], &stored);
        let marcus = ext.near.iter().find(|n| n.name == "Marcus").unwrap();
        assert!(
            !marcus.matched && marcus.why.contains("extension 204"),
            "{}",
            marcus.why
        );
    }

    #[test]
    fn own_numbers_and_short_numbers_never_match() {
        let stored = [contact("Ava", &["+12065550134"])];
        let own = explain("+12065550134", &["+1 206 555 0134".into()], &stored);
        assert!(own.own_number);
        assert!(!own.near[0].matched && own.near[0].why.contains("company's own"));
        let short = explain("555-01", &[], &[]);
        assert_eq!(short.reading, None);
        assert!(no_near_numbers(&short.reading).contains("too short"));
        assert!(no_near_numbers(&explain("+4930123456", &[], &[]).reading).contains("301234"));
    }
}
