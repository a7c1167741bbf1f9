//! Search keys: what a contact is found by, and how well it matches what the user typed.
//!
//! Text is folded (lower case, accents removed: "Müller" ≈ "muller", "José" ≈ "jose") and cut
//! into tokens: words of the name, company and e-mail, and the digits of each number. Runs of
//! CJK characters have no spaces, so every suffix of a run is a token, and a prefix search on
//! the tokens finds a name by any part of it ("小明" finds "王小明"). The store indexes the
//! tokens (multi-entry) and asks for the range starting with the query's longest token.

use crate::contacts::number_key::NumberKey;
use crate::contacts::Contact;
use crate::phone::match_key;
use unicode_normalization::char::decompose_canonical;

/// Longest CJK suffix kept as a token (names are short; this bounds the index).
const MAX_CJK_SUFFIX: usize = 8;
/// Fewest digits a typed number must have to search by phone.
const MIN_DIGITS: usize = 3;

/// Lower case without accents: each character is replaced by the first character of its
/// canonical decomposition (the base letter: "é" → "e", "ў" → "у"), then lower-cased.
/// Combining marks typed on their own (U+0300–U+036F) are dropped. (The decomposition table
/// alone costs ≈35 KB of Wasm; full NFD with combining classes cost ≈126 KB.)
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase()); // nothing to decompose: the common case, fast
            continue;
        }
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        if ('\u{ac00}'..='\u{d7a3}').contains(&c) {
            folded.push(c); // a Hangul syllable decomposes into its letters: keep it whole
            continue;
        }
        let mut base = None;
        decompose_canonical(c, |part| {
            base.get_or_insert(part);
        });
        folded.extend(base.unwrap_or(c).to_lowercase());
    }
    folded
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF) // CJK compatibility ideographs
}

/// Words of folded text; CJK runs become all their suffixes when `suffixes` is set.
fn words(text: &str, suffixes: bool, out: &mut Vec<String>) {
    let folded = fold(text);
    let mut word = String::new();
    let mut cjk_run: Vec<char> = Vec::new();
    let flush_cjk = |run: &mut Vec<char>, out: &mut Vec<String>| {
        if run.is_empty() {
            return;
        }
        if suffixes {
            for start in 0..run.len() {
                let end = run.len().min(start + MAX_CJK_SUFFIX);
                out.push(run[start..end].iter().collect());
            }
        } else {
            out.push(run.iter().collect());
        }
        run.clear();
    };
    for c in folded.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            cjk_run.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk_run, out);
            word.push(c);
        } else {
            flush_cjk(&mut cjk_run, out);
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        }
    }
    flush_cjk(&mut cjk_run, out);
    if !word.is_empty() {
        out.push(word);
    }
}

/// Every token a contact is found by (deduplicated, sorted), for the multi-entry index.
pub fn contact_tokens(contact: &Contact) -> Vec<String> {
    let mut tokens = Vec::new();
    words(&contact.name, true, &mut tokens);
    if let Some(company) = &contact.company {
        words(company, true, &mut tokens);
    }
    // The whole address, and the words before the "@" ("jane", "doe"); the domain's words
    // ("example", "com") would be in every other contact's tokens and find nothing useful.
    for email in &contact.emails {
        let email = fold(email.trim());
        let local = email.split('@').next().unwrap_or_default().to_owned();
        tokens.push(email);
        words(&local, false, &mut tokens);
    }
    // One token per number: its national digits (typed country codes are stripped from the
    // query the same way), or the digits as written when it has too few to be a line.
    for phone in &contact.phone_numbers {
        match NumberKey::parse(&phone.phone_number) {
            Some(key) => tokens.push(key.national),
            None => tokens.push(match_key(&phone.phone_number)),
        }
    }
    tokens.retain(|t| !t.is_empty());
    tokens.sort();
    tokens.dedup();
    tokens
}

/// What the user typed, as tokens to match by prefix: words, with the digits of a typed number
/// joined into one token ("206 555" → "206555").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    tokens: Vec<String>,
    folded: String,
}

impl SearchQuery {
    /// `None` when nothing searchable was typed.
    pub fn parse(text: &str) -> Option<Self> {
        let folded = fold(text.trim());
        let mut tokens = Vec::new();
        let only_number = folded
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if only_number {
            let digits = match_key(&folded);
            if digits.len() < MIN_DIGITS {
                return None;
            }
            tokens.push(
                NumberKey::parse(&folded)
                    .map_or_else(|| NumberKey::national_prefix(&folded), |k| k.national),
            );
        } else if folded.contains('@') {
            tokens.push(folded.split_whitespace().collect()); // an address: its prefix
        } else {
            words(&folded, false, &mut tokens);
        }
        tokens.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        tokens.dedup();
        (!tokens.is_empty()).then_some(Self { tokens, folded })
    }

    /// The token to ask the index for (the longest: the fewest candidates).
    pub fn index_prefix(&self) -> &str {
        &self.tokens[0]
    }

    /// Every typed token, longest first (the store intersects their index ranges).
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// How well a contact matches (lower is better); `None` when some typed token matches none
    /// of its tokens.
    pub fn score(&self, contact: &Contact) -> Option<u32> {
        self.score_with(contact, &contact_tokens(contact))
    }

    /// [`SearchQuery::score`] with the contact's tokens already at hand (stored records).
    pub fn score_with<T: AsRef<str>>(&self, contact: &Contact, tokens: &[T]) -> Option<u32> {
        if contact.deleted {
            return None;
        }
        let all_found = self
            .tokens
            .iter()
            .all(|q| tokens.iter().any(|t| t.as_ref().starts_with(q.as_str())));
        if !all_found {
            return None;
        }
        let name = fold(&contact.name);
        let mut name_words = Vec::new();
        words(&contact.name, true, &mut name_words);
        Some(if name == self.folded {
            0
        } else if name.starts_with(&self.folded) {
            1
        } else if self
            .tokens
            .iter()
            .all(|q| name_words.iter().any(|w| w.starts_with(q.as_str())))
        {
            2
        } else {
            3
        })
    }
}

/// Sorts scored contacts best first (then by name, then id, so the order is stable) and keeps
/// at most `limit`.
pub fn best_first(mut scored: Vec<(u32, Contact)>, limit: usize) -> Vec<Contact> {
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.name.cmp(&b.1.name))
            .then_with(|| a.1.id.cmp(&b.1.id))
    });
    scored.dedup_by(|a, b| a.1.id == b.1.id);
    scored.into_iter().take(limit).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ContactPhone;

    fn contact(name: &str, company: Option<&str>, email: &str, number: &str) -> Contact {
        Contact {
            id: name.into(),
            name: name.into(),
            company: company.map(str::to_owned),
            emails: vec![email.into()],
            phone_numbers: vec![ContactPhone {
                phone_number: number.into(),
                phone_type: "mobile".into(),
                display: None,
            }],
            ..Default::default()
        }
    }

    fn finds(query: &str, c: &Contact) -> bool {
        SearchQuery::parse(query).and_then(|q| q.score(c)).is_some()
    }

    #[test]
    fn accents_case_and_scripts_fold() {
        assert_eq!(fold("José MÜLLER"), "jose muller");
        let jose = contact(
            "José Müller",
            Some("Ação Ltda"),
            "jose@x.pt",
            "+351 21 123 4567",
        );
        for q in ["jose", "MULL", "acao", "Müller José", "jose@x", "jose@x.p"] {
            assert!(finds(q, &jose), "{q}");
        }
        let ivan = contact("Иван Петров", None, "ivan@x.ru", "+7 495 123-45-67");
        assert!(finds("петр", &ivan) && finds("ИВАН", &ivan));
        let wang = contact("王小明", Some("東京商事"), "wang@x.cn", "+86 10 1234 5678");
        for q in ["王", "小明", "王小明", "商事"] {
            assert!(finds(q, &wang), "{q}");
        }
        assert!(!finds("明王", &wang));
        let kim = contact("김민준", None, "k@x.kr", "+82 2 1234 5678");
        assert!(
            finds("민준", &kim) && !finds("김민수", &kim),
            "Hangul is not folded to letters"
        );
        assert_eq!(
            fold("e\u{301}A"),
            "ea",
            "a lone combining accent is dropped"
        );
        let tanaka = contact("たなか ひろし", None, "t@x.jp", "+81 3 1234 5678");
        assert!(finds("ひろ", &tanaka));
    }

    #[test]
    fn phone_digits_are_found_however_typed() {
        let ava = contact("Ava", None, "a@x", "+1 (206) 555-0134");
        for q in ["206555", "206 555", "(206) 555-01", "+1 206", "12065550134"] {
            assert!(finds(q, &ava), "{q}");
        }
        assert!(!finds("555", &ava), "only prefixes of the number");
        assert!(
            !finds("example", &contact("Bo", None, "bo@example.com", "")),
            "not by domain"
        );
        assert_eq!(SearchQuery::parse("12"), None);
    }

    #[test]
    fn every_typed_word_must_match_and_names_rank_first() {
        let ava = contact(
            "Ava Thompson",
            Some("Northwind"),
            "ava@northwind.test",
            "+12065550134",
        );
        let thom = contact("Thomas North", None, "t@x", "+12065550135");
        assert!(!finds("ava north x", &ava));
        let q = SearchQuery::parse("tho").unwrap();
        let best = best_first(
            vec![
                (q.score(&ava).unwrap(), ava.clone()),
                (q.score(&thom).unwrap(), thom.clone()),
            ],
            10,
        );
        assert_eq!(best[0].name, "Thomas North", "name starts with the query");
        let q = SearchQuery::parse("north").unwrap();
        assert!(
            q.score(&thom).unwrap() < q.score(&ava).unwrap(),
            "name word before company"
        );
    }

    #[test]
    fn tokens_are_bounded_and_unique() {
        let long = contact(&"長".repeat(40), None, "", "");
        let tokens = contact_tokens(&long);
        assert!(tokens.iter().all(|t| t.chars().count() <= MAX_CJK_SUFFIX));
        assert_eq!(
            tokens.len(),
            MAX_CJK_SUFFIX,
            "suffixes of one repeated char collapse"
        );
    }
}
