//! What people write, as opposed to a record's fields: a number in a sentence ("call me on …
//! after lunch") is someone's message, and may name any number at all (issue 21: comments,
//! notes and posts added numbers to real contacts). The walker marks the markup of comments,
//! notes, posts, quotes and editors (`Field::prose`); this reads the text itself.

/// Words (two letters or more, or two characters of a script written without spaces) around
/// a number that make its text a sentence: on both sides of it ("call me on … after lunch"),
/// or this many in all. A value with a remark ("(206) 555-0120 ext. 12", "Sales Director at
/// Contoso +1 206 555 0100") has its words on one side.
const SENTENCE_WORDS: usize = 4;
const SENTENCE_WORDS_ONE_SIDE: usize = 6;

/// Whether `text` reads as a sentence someone wrote.
pub fn reads_as_prose(text: &str) -> bool {
    let (Some(first), Some(last)) = (
        text.find(|c: char| c.is_ascii_digit()),
        text.rfind(|c: char| c.is_ascii_digit()),
    ) else {
        return false;
    };
    let before = words(&text[..first]);
    let after = words(&text[last + 1..]);
    let all = before + after + words(&text[first..=last]);
    (before > 0 && after > 0 && all >= SENTENCE_WORDS) || all >= SENTENCE_WORDS_ONE_SIDE
}

/// Words of two letters or more; in scripts written without spaces, every two characters.
fn words(text: &str) -> usize {
    let spaced = text
        .split_whitespace()
        .filter(|word| {
            word.chars()
                .filter(|c| c.is_alphabetic() && !unspaced(*c))
                .count()
                >= 2
        })
        .count();
    spaced + text.chars().filter(|c| unspaced(*c)).count() / 2
}

/// A letter of a script written without spaces between words.
fn unspaced(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}' | '\u{ac00}'..='\u{d7af}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_prose() {
        for text in [
            "Call me on (206) 555-0198 any time after lunch",
            "Anyone can call me at (206) 555-0140 for a quick chat",
            "Ruf mich unter 030 1234567 an, am besten abends",
            "お問い合わせは03-1234-5678までお気軽にどうぞ",
            "Reach me on 0171 555 0123, or just drop by the office any weekday",
        ] {
            assert!(reads_as_prose(text), "{text}");
        }
    }

    #[test]
    fn values_with_a_remark_are_not() {
        for text in [
            "(206) 555-0120",
            "(206) 555-0120 ext. 12",
            "+1 206 555 0120 (mobile, office)",
            "Tel. +49 30 1234567 · Fax +49 30 1234568",
            "03-1234-5678（代表）",
            "Sales Director at Contoso +1 206 555 0100",
            "Jane Doe",
        ] {
            assert!(!reads_as_prose(text), "{text}");
        }
    }
}
