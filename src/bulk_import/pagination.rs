//! Which of a page's pager links leads to the next page of its list, and how many pages the
//! list says it has.
//!
//! The walker sends every link of a page's pagers (`nav`, `.pagination`, `rel=next`, the
//! recipe's `next`); the choice is made here, natively tested, in this order: the site
//! recipe's link, a `rel=next` link, a link whose text or label says "next" in one of the
//! languages CRMs are used in, a lone "›"-style arrow, and last a "»" (which some pagers use
//! for "last page"). Disabled links, the current page and links to other origins are never
//! followed.

use crate::protocol::evidence::{Pager, PagerLink};
use crate::url::WebUrl;

/// "Next" as pagers write it, compared after lower-casing and dropping arrows and punctuation.
const NEXT_WORDS: &[&str] = &[
    // English
    "next",
    "next page",
    "show next",
    "forward",
    // German
    "weiter",
    "nächste",
    "nächste seite",
    "vorwärts",
    // French
    "suivant",
    "suivante",
    "page suivante",
    // Spanish
    "siguiente",
    "página siguiente",
    // Portuguese
    "próximo",
    "próxima",
    "próxima página",
    "seguinte",
    "avançar",
    // Italian
    "successivo",
    "successiva",
    "pagina successiva",
    "avanti",
    // Dutch
    "volgende",
    "volgende pagina",
    // Russian
    "далее",
    "следующая",
    "следующая страница",
    "вперёд",
    "вперед",
    // Japanese
    "次へ",
    "次",
    "次のページ",
    // Chinese
    "下一页",
    "下一頁",
    "下页",
    // Polish, Swedish, Danish/Norwegian, Czech, Turkish
    "następna",
    "nästa",
    "næste",
    "neste",
    "další",
    "sonraki",
];

/// Arrows that mean "next" on their own.
const NEXT_ARROWS: &[&str] = &["›", ">", "→", "⟩", "❯", "▶", "▸", "⇾"];
/// Arrows that mean "next" in some pagers and "last" in others: taken only when nothing says
/// "next" more clearly.
const WEAK_ARROWS: &[&str] = &["»", ">>"];

/// Highest page number believed from a pager (beyond it a number is an id, not a page).
const MAX_PAGE_NUMBER: u32 = 1_000_000;

/// The address of the list's next page, if the pager shows one that can be followed.
pub fn next_page(pager: &Pager, page_url: &str) -> Option<String> {
    let origin = WebUrl::parse(page_url).ok()?.origin();
    let here = without_fragment(page_url);
    let followable = |link: &&PagerLink| {
        !link.disabled
            && !link.current
            && without_fragment(&link.href) != here
            && WebUrl::parse(&link.href).is_ok_and(|url| url.origin() == origin)
    };
    let candidates: Vec<&PagerLink> = pager.links.iter().filter(followable).collect();
    let pick = |test: &dyn Fn(&PagerLink) -> bool| {
        candidates
            .iter()
            .find(|link| test(link))
            .map(|link| link.href.clone())
    };
    pick(&|link| link.recipe)
        .or_else(|| pick(&|link| link.rel.as_deref() == Some("next")))
        .or_else(|| pick(&|link| says(link, NEXT_WORDS)))
        .or_else(|| pick(&|link| says(link, NEXT_ARROWS)))
        .or_else(|| pick(&|link| says(link, WEAK_ARROWS)))
}

/// The highest page number the pager shows (its links and its current page), if any.
pub fn last_page(pager: &Pager) -> Option<u32> {
    pager
        .links
        .iter()
        .filter(|link| !link.disabled)
        .filter_map(|link| link.text.as_deref()?.trim().parse::<u32>().ok())
        .chain(pager.current)
        .filter(|&n| (1..=MAX_PAGE_NUMBER).contains(&n))
        .max()
}

/// Whether the link's text or label is one of `words` (arrows and punctuation around ignored).
fn says(link: &PagerLink, words: &[&str]) -> bool {
    [link.text.as_deref(), link.label.as_deref()]
        .into_iter()
        .flatten()
        .any(|text| {
            let bare = text.trim().to_lowercase();
            let wordy = bare
                .trim_matches(|c: char| !c.is_alphanumeric())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            words.contains(&bare.as_str()) || (!wordy.is_empty() && words.contains(&wordy.as_str()))
        })
}

fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "https://crm.example.com/people?page=3";

    fn link(href: &str, text: &str) -> PagerLink {
        PagerLink {
            href: format!("https://crm.example.com{href}"),
            text: (!text.is_empty()).then(|| text.to_owned()),
            ..PagerLink::default()
        }
    }

    fn pager(links: Vec<PagerLink>) -> Pager {
        Pager {
            links,
            current: Some(3),
        }
    }

    #[test]
    fn a_next_link_is_found_by_its_words_in_many_languages() {
        for text in [
            "Next ›",
            "next page",
            "Weiter »",
            "Suivant",
            "Siguiente →",
            "Próxima",
            "Avanti",
            "Volgende",
            "Далее",
            "次へ",
            "下一页",
        ] {
            let links = vec![
                link("/people?page=2", "‹ Previous"),
                link("/people?page=4", "4"),
                link("/people?page=4", text),
            ];
            assert_eq!(
                next_page(&pager(links), PAGE).as_deref(),
                Some("https://crm.example.com/people?page=4"),
                "{text}"
            );
        }
    }

    #[test]
    fn an_icon_link_is_found_by_its_label() {
        let mut next = link("/people?page=4", "");
        next.label = Some("Next page".into());
        let links = vec![link("/people?page=2", "‹"), next];
        assert_eq!(
            next_page(&pager(links), PAGE).as_deref(),
            Some("https://crm.example.com/people?page=4")
        );
    }

    #[test]
    fn recipe_and_rel_next_come_before_words_and_arrows_before_double_arrows() {
        let mut by_recipe = link("/list/after/77", "more");
        by_recipe.recipe = true;
        let mut by_rel = link("/people?cursor=x", "");
        by_rel.rel = Some("next".into());
        let words = link("/people?page=4", "Next");
        let last = link("/people?page=20", "»");
        let arrow = link("/people?page=4&a", "›");
        let all = vec![
            last.clone(),
            arrow.clone(),
            words.clone(),
            by_rel.clone(),
            by_recipe,
        ];
        assert!(next_page(&pager(all.clone()), PAGE)
            .unwrap()
            .ends_with("/after/77"));
        assert!(next_page(&pager(all[..4].to_vec()), PAGE)
            .unwrap()
            .ends_with("cursor=x"));
        assert!(next_page(&pager(all[..3].to_vec()), PAGE)
            .unwrap()
            .ends_with("page=4"));
        assert!(next_page(&pager(vec![last.clone(), arrow]), PAGE)
            .unwrap()
            .ends_with("4&a"));
        assert!(next_page(&pager(vec![last]), PAGE)
            .unwrap()
            .ends_with("page=20"));
    }

    #[test]
    fn disabled_current_same_page_and_foreign_links_are_never_followed() {
        let mut disabled = link("/people?page=4", "Next");
        disabled.disabled = true;
        let mut current = link("/people?page=4", "Next");
        current.current = true;
        let same = link("/people?page=3#top", "Next");
        let mut foreign = link("/x", "Next");
        foreign.href = "https://tracker.example.net/people?page=4".into();
        let words_only = vec![
            link("/people?page=1", "1"),
            link("/help", "Help"),
            disabled,
            current,
            same,
            foreign,
        ];
        assert_eq!(next_page(&pager(words_only), PAGE), None);
    }

    #[test]
    fn the_last_page_is_the_highest_number_shown() {
        let mut links = vec![
            link("/people?page=1", "1"),
            link("/people?page=2", "2"),
            link("/people?page=20", "20"),
            link("/people?page=4", "Next"),
            link("/people/98765432", "98765432"),
        ];
        // An id-like number beyond MAX_PAGE_NUMBER is not a page count; a disabled one is not
        // a link to a page.
        links[2].disabled = true;
        links.push(link("/people?page=19", "19"));
        assert_eq!(last_page(&pager(links)), Some(19));
        assert_eq!(
            last_page(&Pager {
                links: vec![link("/people?page=2", "Next")],
                current: None
            }),
            None
        );
    }
}
