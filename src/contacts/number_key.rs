//! How a phone number is indexed and when two numbers are the same line.
//!
//! Stored numbers are E.164 when discovery knew the region, and national (`(206) 555-0147`,
//! `030 1234567`) when it did not. The widget asks with E.164, or with the digits of E.164
//! without `+` (`16505550101`), sometimes with an extension. All of them meet on the national
//! significant number (NSN): E.164 without its country code, or national digits without trunk
//! zeros. The index is keyed by NSN; [`NumberKey::same_line`] then rejects what only shares it.

use crate::phone::{extension, match_key};

/// Country calling codes of two digits (ITU-T E.164 assignments). Codes are a prefix code:
/// `1` and `7` are the one-digit codes, these the two-digit ones, every other code has three.
const TWO_DIGIT_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Fewer national digits than this are never matched (short codes, bare extensions).
pub const MIN_NATIONAL_DIGITS: usize = 6;

/// A number reduced to what identifies the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberKey {
    /// Country calling code, when the number carried one.
    pub country: Option<String>,
    /// National significant number: the index key.
    pub national: String,
    /// Extension digits, if any.
    pub extension: Option<String>,
}

impl NumberKey {
    /// Reads a number as stored or as the widget sends it; `None` when it is too short to
    /// identify a line.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits = match_key(raw);
        let explicit_plus = raw.trim_start().starts_with('+');
        let (country, national) = if explicit_plus {
            split_country(&digits)?
        } else if let Some(international) = digits.strip_prefix("00") {
            split_country(international)?
        } else if !digits.starts_with('0') && digits.len() >= 11 {
            // The widget's `16505550101`: E.164 without the plus.
            split_country(&digits)?
        } else {
            (None, digits.trim_start_matches('0').to_owned())
        };
        (national.len() >= MIN_NATIONAL_DIGITS).then(|| Self {
            country,
            national,
            extension: extension(raw),
        })
    }

    /// The national digits of a partly typed number: a leading `+` or `00` country code is
    /// cut, like [`NumberKey::parse`] cuts it from whole numbers ("+1 206" → "206").
    pub fn national_prefix(typed: &str) -> String {
        let digits = match_key(typed);
        let international = if typed.trim_start().starts_with('+') {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        match international.and_then(split_country) {
            Some((_, national)) => national,
            None => digits.trim_start_matches('0').to_owned(),
        }
    }

    /// Whether two numbers with the same national number are one line: the country codes and
    /// extensions agree wherever both are known (a number stored without its country code is
    /// matched as a person reading it would, by its national digits).
    pub fn same_line(&self, other: &NumberKey) -> bool {
        let agree = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.national == other.national
            && agree(&self.country, &other.country)
            && agree(&self.extension, &other.extension)
    }
}

fn split_country(digits: &str) -> Option<(Option<String>, String)> {
    let length = match digits.chars().next()? {
        '1' | '7' => 1,
        _ if digits.len() >= 2 && TWO_DIGIT_CODES.contains(&&digits[..2]) => 2,
        _ => 3,
    };
    if digits.len() <= length {
        return None;
    }
    let (code, national) = digits.split_at(length);
    // Some countries write a trunk zero after the code (`+44 (0)20 …`).
    Some((
        Some(code.to_owned()),
        national.trim_start_matches('0').to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> NumberKey {
        NumberKey::parse(raw).unwrap_or_else(|| panic!("{raw} not parsed"))
    }

    #[test]
    fn country_codes_are_split_by_their_length() {
        assert_eq!(key("+16505550101").country.as_deref(), Some("1"));
        assert_eq!(key("+16505550101").national, "6505550101");
        assert_eq!(key("+442079460018").country.as_deref(), Some("44"));
        assert_eq!(key("+44 (0)20 7946 0018").national, "2079460018");
        assert_eq!(key("+353 1 234 5678").country.as_deref(), Some("353"));
        assert_eq!(key("+81 3-1234-5678").country.as_deref(), Some("81"));
        assert_eq!(key("0049 30 1234567").country.as_deref(), Some("49"));
    }

    #[test]
    fn the_forms_the_widget_sends_meet_stored_forms() {
        for (stored, asked) in [
            ("+1 (650) 555-0101", "+16505550101"),
            ("+1 (650) 555-0101", "16505550101"),
            ("(650) 555-0101", "+16505550101"),
            ("030 1234567", "+49301234567"),
            ("020 7946 0018", "+442079460018"),
            ("+1 206 555 0147 x204", "+12065550147"),
            ("+1 206 555 0147 x204", "+12065550147;ext=204"),
        ] {
            assert!(key(stored).same_line(&key(asked)), "{stored} vs {asked}");
        }
    }

    #[test]
    fn what_only_shares_digits_is_not_the_same_line() {
        for (stored, asked) in [
            ("+1 301 234 5670", "+33 1 301 234 5670"),
            ("+1 206 555 0147 x204", "+1 206 555 0147 x205"),
            ("+49 30 1234567", "+43 30 1234567"),
        ] {
            let (a, b) = (key(stored), key(asked));
            assert!(
                !(a.national == b.national && a.same_line(&b)),
                "{stored} vs {asked}"
            );
        }
    }

    #[test]
    fn short_numbers_are_not_matched() {
        for short in ["101", "+1 911", "x204", "", "12345"] {
            assert_eq!(NumberKey::parse(short), None, "{short}");
        }
    }
}
