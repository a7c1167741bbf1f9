//! Finding phone numbers in page text and normalising them to E.164 with libphonenumber.
//!
//! [`candidates`] cuts runs that could be a number out of a text (digits with the separators
//! people write, an optional leading `+` or `(`, an optional extension) and rejects what is
//! shaped like something else: a run glued to letters or to a URL, a date, a time, an amount.
//! [`read`] then asks libphonenumber whether the run is a valid number for the region.

use crate::memo::{remember, Table};
use phonenumber::country::Id;
use phonenumber::Mode;

/// A run of text that may be a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The run as written (`(030) 123 45 67 ext. 12`).
    pub raw: String,
    /// Written with a leading `+` or `00` (carries its country).
    pub international: bool,
    /// Written as people write phone numbers (with `+`, brackets or separators between digit
    /// groups), not as a bare digit string like an id.
    pub formatted: bool,
}

/// A validated number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// E.164, with `;ext=…` when the page gave an extension.
    pub e164: String,
    /// The region libphonenumber assigns the number to (its country).
    pub region: Option<String>,
}

const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;

/// Every run in `text` that may be a phone number (at most 8: a text full of numbers is a
/// table of something else, and the caller treats it as hostile-sized).
pub fn candidates(text: &str) -> Vec<Candidate> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() && found.len() < 8 {
        let c = chars[i];
        let starts = c.is_ascii_digit() || ((c == '+' || c == '(') && next_is_digit(&chars, i + 1));
        if !starts || glued_before(&chars, i) {
            i += 1;
            continue;
        }
        let end = run_end(&chars, i);
        let run: String = chars[i..end].iter().collect();
        let extension = split_extension(&chars, end);
        let after = extension.as_ref().map_or(end, |(_, e)| *e);
        if let Some(candidate) = judge(&run, extension.map(|(x, _)| x), &chars, after) {
            found.push(candidate);
        }
        i = after.max(i + 1);
    }
    found
}

thread_local! {
    /// A page is read again after every change (single-page apps): numbers already read are
    /// remembered, up to [`MEMO_LIMIT`] of them, then forgotten wholesale.
    static MEMO: Table<(String, Option<String>), Option<Number>> = Default::default();
}

/// Distinct (text, region) pairs remembered by [`read`].
const MEMO_LIMIT: usize = 50_000;

/// The number in `raw` for `region` (ISO 3166 alpha-2), if libphonenumber calls it valid.
pub fn read(raw: &str, region: Option<&str>) -> Option<Number> {
    let key = (raw.to_owned(), region.map(str::to_owned));
    remember(&MEMO, MEMO_LIMIT, &key, || read_uncached(raw, region))
}

fn read_uncached(raw: &str, region: Option<&str>) -> Option<Number> {
    let country = region.and_then(|r| r.to_ascii_uppercase().parse::<Id>().ok());
    let cleaned = raw.trim().trim_start_matches("00").to_owned();
    let text = if raw.trim().starts_with("00") && !raw.trim().starts_with("000") {
        format!("+{cleaned}")
    } else {
        raw.trim().to_owned()
    };
    // A number written with its country is parsed without a region: the crate applies the
    // region's national prefix to it otherwise ("+39 06…" under DE lost Rome's leading 0).
    let country = if text.starts_with('+') { None } else { country };
    let number = phonenumber::parse(country, &text).ok()?;
    if !number.is_valid() {
        return None;
    }
    let mut e164 = number.format().mode(Mode::E164).to_string();
    if let Some(extension) = number.extension() {
        e164.push_str(";ext=");
        e164.push_str(extension);
    }
    Some(Number {
        e164,
        region: number.country().id().map(|id| id.as_ref().to_owned()),
    })
}

/// Whether a nationally written number is grouped as numbers of `region` are, for the plans
/// whose numbers are written one way only: North America's 3-3-4 and France's pairs. Every
/// break of that format must be a break in the text ("(206) 555-0147", "206.555.0147" and
/// "01 45 67 89 10" fit; the Brazilian "(21) 2233-4455" does not fit the US, nor the German
/// "030 9876543" France, though their digits make valid numbers there, and a browser or a
/// page language guesses those countries). A French number is never written without its
/// leading 0. Other plans are written in several ways at home ("0151 23456789", "01512
/// 3456789"), so any grouping fits them, as does a text without breaks. Used when the region
/// is a guess.
pub fn grouped_as_in(raw: &str, region: &str) -> bool {
    let Ok(country) = region.to_ascii_uppercase().parse::<Id>() else {
        return true;
    };
    let Ok(number) = phonenumber::parse(Some(country), raw.trim()) else {
        return true;
    };
    let code = number.code().value();
    if !RIGID_PLANS.contains(&code) {
        return true;
    }
    let formatted = number.format().mode(Mode::National).to_string();
    let (mut written, mut written_breaks) = digit_breaks(raw);
    let (shown, shown_breaks) = digit_breaks(&formatted);
    // "1 206 555 0147": the North American trunk prefix before the 3-3-4 number.
    if code == 1 && written.len() == shown.len() + 1 && written.starts_with('1') {
        written.remove(0);
        written_breaks = written_breaks
            .into_iter()
            .filter(|&b| b > 1)
            .map(|b| b - 1)
            .collect();
    }
    if written != shown {
        return false;
    }
    written_breaks.is_empty() || shown_breaks.iter().all(|at| written_breaks.contains(at))
}

/// Country calling codes whose national numbers are written in one grouping only.
const RIGID_PLANS: [u16; 2] = [1, 33];

/// Whether a number is written the way only North America writes them, `(617) 555-0130`,
/// `617-555-0130` or `617.555.0130`: no other plan groups ten digits 3-3-4 with those marks,
/// so such a number is read as +1 whatever region was guessed.
pub fn written_as_north_american(raw: &str) -> bool {
    let shape: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    matches!(
        shape.as_str(),
        "(ddd) ddd-dddd" | "(ddd)ddd-dddd" | "ddd-ddd-dddd" | "ddd.ddd.dddd"
    )
}

/// A text's digits, and after how many digits each break between two digits comes.
fn digit_breaks(text: &str) -> (String, Vec<usize>) {
    let mut digits = String::new();
    let mut breaks = Vec::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if gap && !digits.is_empty() {
                breaks.push(digits.len());
            }
            gap = false;
            digits.push(c);
        } else {
            gap = true;
        }
    }
    (digits, breaks)
}

fn next_is_digit(chars: &[char], at: usize) -> bool {
    chars.get(at).is_some_and(char::is_ascii_digit)
}

/// A run glued to a word, a URL or an amount (`ab123…`, `/4930…`, `$1 234`, `#100234`).
fn glued_before(chars: &[char], at: usize) -> bool {
    let Some(&before) = at.checked_sub(1).and_then(|p| chars.get(p)) else {
        return false;
    };
    before.is_alphanumeric()
        || matches!(
            before,
            '/' | '='
                | '?'
                | '&'
                | '#'
                | '_'
                | '@'
                | '-'
                | '.'
                | ','
                | '%'
                | '$'
                | '€'
                | '£'
                | '¥'
                | '₽'
        )
}

fn run_end(chars: &[char], start: usize) -> usize {
    let mut end = start + 1;
    let mut last_digit = if chars[start].is_ascii_digit() {
        start + 1
    } else {
        start
    };
    while end < chars.len() {
        let c = chars[end];
        if c.is_ascii_digit() {
            last_digit = end + 1;
        } else if !matches!(
            c,
            ' ' | '\u{a0}' | '-' | '.' | '/' | '(' | ')' | '\u{2011}' | '\u{2013}'
        ) {
            break;
        }
        end += 1;
    }
    // A closing bracket right after the digits belongs to the run: "(030)" alone is rare, but
    // a run must end on a digit.
    last_digit
}

/// An extension right after the run: ` x123`, ` ext. 123`, `;ext=123`, ` #123`, ` доб. 123`.
fn split_extension(chars: &[char], end: usize) -> Option<(String, usize)> {
    let rest: String = chars[end..chars.len().min(end + 16)].iter().collect();
    let lower = rest.to_lowercase();
    for marker in [
        ";ext=",
        " ext. ",
        " ext.",
        " ext ",
        " x",
        " x ",
        " #",
        " доб. ",
        " доб.",
        " durchwahl ",
    ] {
        if let Some(after) = lower.strip_prefix(marker) {
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if (1..=6).contains(&digits.len()) {
                let consumed = marker.chars().count() + digits.chars().count();
                return Some((digits, end + consumed));
            }
        }
    }
    None
}

fn judge(run: &str, extension: Option<String>, chars: &[char], after: usize) -> Option<Candidate> {
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    let international = run.starts_with('+') || (run.starts_with("00") && !run.starts_with("000"));
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
        return None;
    }
    // Glued to what follows: a word, a unit, a currency, a percentage, a URL path.
    if let Some(&next) = chars.get(after) {
        if next.is_alphanumeric() && !next.is_whitespace()
            || matches!(next, '/' | '€' | '$' | '£' | '%' | '@' | '_' | '=' | '&')
            || (next == ',' || next == '.')
                && chars.get(after + 1).is_some_and(char::is_ascii_digit)
            || next == ':' && chars.get(after + 1).is_some_and(char::is_ascii_digit)
        {
            return None;
        }
    }
    let next_word = chars[after.min(chars.len())..]
        .iter()
        .find(|c| !c.is_whitespace());
    if next_word.is_some_and(|c| matches!(c, '€' | '$' | '£' | '¥' | '₽' | '%')) {
        return None;
    }
    if looks_like_date(run) {
        return None;
    }
    let groups: Vec<&str> = run
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let formatted = international || run.starts_with('(') || groups.len() >= 2;
    let mut raw = run.trim().to_owned();
    if let Some(extension) = extension {
        raw.push_str(" ext. ");
        raw.push_str(&extension);
    }
    Some(Candidate {
        raw,
        international,
        formatted,
    })
}

/// `2024-01-15`, `15.01.2024`, `01/15/2024`, `2024/1/5`: three groups shaped like a date.
fn looks_like_date(run: &str) -> bool {
    let groups: Vec<&str> = run.split(['-', '.', '/']).map(str::trim).collect();
    if groups.len() != 3
        || groups
            .iter()
            .any(|g| g.is_empty() || !g.chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let n: Vec<u32> = groups.iter().map(|g| g.parse().unwrap_or(9999)).collect();
    let (a, b, c) = (groups[0].len(), groups[1].len(), groups[2].len());
    let year_first =
        a == 4 && b <= 2 && c <= 2 && (1..=12).contains(&n[1]) && (1..=31).contains(&n[2]);
    let year_last = c == 4 && a <= 2 && b <= 2 && n[0] <= 31 && n[1] <= 31;
    year_first || year_last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_american_numbers_are_grouped_three_three_four() {
        for fits in [
            "(206) 555-0147",
            "206.555.0147",
            "206-555-0147",
            "2065550147",
            "1 206 555 0147",
        ] {
            assert!(grouped_as_in(fits, "US"), "{fits}");
        }
        for foreign in ["(21) 2233-4455", "21 22 33 44 55", "2122 334 455"] {
            assert!(!grouped_as_in(foreign, "US"), "{foreign}");
        }
        assert!(
            grouped_as_in("0151 23456789", "DE"),
            "other plans: any grouping"
        );
    }

    fn raws(text: &str) -> Vec<String> {
        candidates(text).into_iter().map(|c| c.raw).collect()
    }

    #[test]
    fn numbers_in_the_formats_people_write() {
        assert_eq!(raws("Call (206) 555-0147 today"), ["(206) 555-0147"]);
        assert_eq!(raws("+49 30 1234567"), ["+49 30 1234567"]);
        assert_eq!(raws("06.12.34.56.79"), ["06.12.34.56.79"]);
        assert_eq!(
            raws("Tel: 030 1234567, Fax: 030 1234568"),
            ["030 1234567", "030 1234568"]
        );
        assert_eq!(raws("+1 650-555-0101 x12"), ["+1 650-555-0101 ext. 12"]);
        assert_eq!(raws("+1 650 555 0101;ext=7"), ["+1 650 555 0101 ext. 7"]);
        assert!(candidates("(02) 9374 4001")[0].formatted);
        assert!(
            !candidates("100234987")[0].formatted,
            "a bare digit string is not formatted"
        );
    }

    #[test]
    fn what_only_looks_like_a_number_is_not_cut_out() {
        for trap in [
            "https://wa.me/4917012345678",
            "viber://chat?number=4917012345678",
            "Order #100234987",
            "2024-01-15",
            "15.01.2024",
            "01/15/2024",
            "10:30",
            "$1,234,567.89",
            "1 234 567,89 €",
            "DE89 3704 0044 0532 0130 00",
            "INV-20240115-0042",
            "SKU A1234567",
            "12345",
            "v2.1.1234567",
        ] {
            assert!(
                candidates(trap).is_empty(),
                "{trap}: {:?}",
                candidates(trap)
            );
        }
    }

    #[test]
    fn valid_numbers_are_normalised_with_their_region() {
        let de = read("030 1234567", Some("DE")).unwrap();
        assert_eq!(de.e164, "+49301234567");
        assert_eq!(de.region.as_deref(), Some("DE"));
        assert_eq!(
            read("(02) 9374 4001", Some("AU")).unwrap().e164,
            "+61293744001"
        );
        assert_eq!(
            read("06.12.34.56.79", Some("FR")).unwrap().e164,
            "+33612345679"
        );
        assert_eq!(
            read("+44 20 7946 0018", Some("US")).unwrap().e164,
            "+442079460018"
        );
        assert_eq!(
            read("0044 20 7946 0018", None).unwrap().e164,
            "+442079460018"
        );
        assert_eq!(
            read("(206) 555-0147 ext. 12", Some("US")).unwrap().e164,
            "+12065550147;ext=12"
        );
        assert!(
            read("030 1234567", None).is_none(),
            "a national number needs a region"
        );
        let rome = read("+39 06 1234 5678", Some("DE")).expect("valid whatever the region");
        assert_eq!(
            rome.e164, "+390612345678",
            "Italy keeps its leading 0 under a German default"
        );
        assert!(
            read("123 4567", Some("DE")).is_none(),
            "too short for Germany"
        );
    }
}
