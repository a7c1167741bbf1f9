//! Phone-number keys for matching.
//!
//! The widget sends numbers in E.164 most of the time, but not always: on incoming calls it also
//! asks to match the dialed number without its `+` (`16505550101`, see the call fixtures), and
//! call history can carry extensions. [`match_key`] reduces a number to the digits that identify
//! the line, so those forms meet. Full parsing with regions (national formats, `030 1234567`)
//! belongs to discovery, which stores every contact number already normalised.

/// The digits of a number without its extension: `+1 (650) 555-0101 x12` → `16505550101`.
pub fn match_key(number: &str) -> String {
    let without_extension = strip_extension(number);
    without_extension
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Whether a listed number (typed by a person) and a number the widget sends are one line.
///
/// A listed number written with `+` carries its country and must match exactly. One written
/// without it is national: its digits without trunk zeros must end the other number, so
/// `(206) 555-0147` meets `+12065550147` and `020 7946 0018` meets `+442079460018`. Used
/// where a false "yes" is the safe side (the do-not-contact check), not for caller matching.
pub fn same_line(listed: &str, asked: &str) -> bool {
    let (listed_key, asked_key) = (match_key(listed), match_key(asked));
    if listed_key.is_empty() || asked_key.is_empty() {
        return false;
    }
    if listed_key == asked_key {
        return true;
    }
    if listed.trim_start().starts_with('+') {
        return false;
    }
    let national = listed_key.trim_start_matches('0');
    national.len() >= 6 && asked_key.ends_with(national)
}

/// The extension of a number (`x123`, `ext. 123`, `;ext=123`, `#123`), if it has one.
pub fn extension(number: &str) -> Option<String> {
    let start = extension_start(number)?;
    let digits: String = number[start..]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

fn strip_extension(number: &str) -> &str {
    match extension_start(number) {
        Some(start) => &number[..start],
        None => number,
    }
}

/// Where the first extension marker starts (`;ext=`, `ext`, `x`, `#`, `*`, in any case): one
/// pass over the bytes, no lowercased copy (every stored number goes through it).
fn extension_start(number: &str) -> Option<usize> {
    let bytes = number.as_bytes();
    (0..bytes.len()).find(|&at| {
        let rest = &bytes[at..];
        let starts = |marker: &[u8]| {
            rest.len() >= marker.len() && rest[..marker.len()].eq_ignore_ascii_case(marker)
        };
        matches!(bytes[at], b'x' | b'X' | b'#' | b'*') || starts(b";ext=") || starts(b"ext")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_the_widget_sends_meet() {
        assert_eq!(match_key("+16505550101"), "16505550101");
        assert_eq!(match_key("16505550101"), "16505550101");
        assert_eq!(match_key("+1 (650) 555-0101"), "16505550101");
    }

    #[test]
    fn the_one_pass_marker_search_finds_what_searching_each_marker_finds() {
        let earliest_of_each = |number: &str| {
            let lower = number.to_ascii_lowercase();
            [";ext=", "ext.", "ext", "x", "#", "*"]
                .iter()
                .filter_map(|marker| lower.find(marker))
                .min()
        };
        let parts = [
            "+1", " 206", "-555", " ", "0147", ";EXT=", "ext", "Ext.", "X", "x", "#", "*", "é",
            ";", "e", "t",
        ];
        let mut seed = 7u32;
        for _ in 0..5_000 {
            let mut number = String::new();
            for _ in 0..6 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                number.push_str(parts[(seed >> 16) as usize % parts.len()]);
            }
            assert_eq!(
                extension_start(&number),
                earliest_of_each(&number),
                "{number}"
            );
        }
    }

    #[test]
    fn extensions_are_split_off() {
        assert_eq!(match_key("(206) 555-0147 x204"), "2065550147");
        assert_eq!(extension("(206) 555-0147 x204").as_deref(), Some("204"));
        assert_eq!(extension("+1 206 555 0147;ext=17").as_deref(), Some("17"));
        assert_eq!(extension("+1 206 555 0147 ext. 9").as_deref(), Some("9"));
        assert_eq!(extension("+12065550147"), None);
        assert_eq!(extension("+1 206 555 0147 EXT 5").as_deref(), Some("5"));
        assert_eq!(extension("+1 206 555 0147 X 6").as_deref(), Some("6"));
        assert_eq!(match_key("+1 206 555 0147 Ext. 7"), "12065550147");
        assert_eq!(match_key("+1 206 555 0147*8"), "12065550147");
    }
}
