//! Regions for national numbers: a country as a page writes it ("Deutschland", "UK", "日本",
//! "FR") → ISO 3166 alpha-2, and a browser or page locale → its likely region.

use crate::memo::{remember, Table};
use crm_bridge::contacts::search::fold;

/// (ISO code, names and common abbreviations, folded).
const COUNTRIES: &[(&str, &[&str])] = &[
    (
        "US",
        &[
            "united states",
            "united states of america",
            "usa",
            "us",
            "u s a",
            "america",
            "etats unis",
            "estados unidos",
            "stati uniti",
            "vereinigte staaten",
            "verenigde staten",
            "сша",
            "アメリカ",
            "アメリカ合衆国",
            "美国",
        ],
    ),
    ("CA", &["canada", "kanada", "канада", "カナダ", "加拿大"]),
    (
        "GB",
        &[
            "united kingdom",
            "uk",
            "great britain",
            "england",
            "scotland",
            "wales",
            "royaume uni",
            "reino unido",
            "regno unito",
            "vereinigtes konigreich",
            "verenigd koninkrijk",
            "великобритания",
            "イギリス",
            "英国",
        ],
    ),
    (
        "IE",
        &[
            "ireland",
            "irland",
            "irlande",
            "irlanda",
            "ierland",
            "ирландия",
            "アイルランド",
            "爱尔兰",
        ],
    ),
    (
        "DE",
        &[
            "germany",
            "deutschland",
            "allemagne",
            "alemania",
            "alemanha",
            "germania",
            "duitsland",
            "германия",
            "ドイツ",
            "德国",
        ],
    ),
    (
        "AT",
        &[
            "austria",
            "osterreich",
            "autriche",
            "oostenrijk",
            "австрия",
            "オーストリア",
            "奥地利",
        ],
    ),
    (
        "CH",
        &[
            "switzerland",
            "schweiz",
            "suisse",
            "svizzera",
            "suiza",
            "suica",
            "zwitserland",
            "швейцария",
            "スイス",
            "瑞士",
        ],
    ),
    (
        "FR",
        &[
            "france",
            "frankreich",
            "francia",
            "franca",
            "frankrijk",
            "франция",
            "フランス",
            "法国",
        ],
    ),
    (
        "BE",
        &[
            "belgium",
            "belgien",
            "belgique",
            "belgica",
            "belgio",
            "belgie",
            "бельгия",
            "ベルギー",
            "比利时",
        ],
    ),
    (
        "NL",
        &[
            "netherlands",
            "the netherlands",
            "holland",
            "niederlande",
            "pays bas",
            "paises bajos",
            "paesi bassi",
            "nederland",
            "нидерланды",
            "オランダ",
            "荷兰",
        ],
    ),
    (
        "LU",
        &["luxembourg", "luxemburg", "luxemburgo", "lussemburgo"],
    ),
    (
        "ES",
        &[
            "spain",
            "espana",
            "spanien",
            "espagne",
            "spagna",
            "spanje",
            "испания",
            "スペイン",
            "西班牙",
        ],
    ),
    (
        "PT",
        &[
            "portugal",
            "portogallo",
            "португалия",
            "ポルトガル",
            "葡萄牙",
        ],
    ),
    (
        "IT",
        &[
            "italy",
            "italia",
            "italien",
            "italie",
            "italie",
            "италия",
            "イタリア",
            "意大利",
        ],
    ),
    (
        "PL",
        &[
            "poland",
            "polska",
            "polen",
            "pologne",
            "polonia",
            "польша",
            "ポーランド",
            "波兰",
        ],
    ),
    (
        "CZ",
        &[
            "czech republic",
            "czechia",
            "cesko",
            "tschechien",
            "tchequie",
            "chequia",
        ],
    ),
    (
        "DK",
        &[
            "denmark",
            "danmark",
            "danemark",
            "dinamarca",
            "danimarca",
            "denemarken",
        ],
    ),
    (
        "SE",
        &[
            "sweden",
            "sverige",
            "schweden",
            "suede",
            "suecia",
            "svezia",
            "zweden",
            "швеция",
        ],
    ),
    (
        "NO",
        &[
            "norway",
            "norge",
            "norwegen",
            "norvege",
            "noruega",
            "norvegia",
            "noorwegen",
        ],
    ),
    (
        "FI",
        &["finland", "suomi", "finnland", "finlande", "finlandia"],
    ),
    (
        "GR",
        &["greece", "griechenland", "grece", "grecia", "griekenland"],
    ),
    (
        "RU",
        &[
            "russia",
            "russian federation",
            "russland",
            "russie",
            "rusia",
            "russia",
            "rusland",
            "россия",
            "рф",
            "ロシア",
            "俄罗斯",
        ],
    ),
    (
        "UA",
        &["ukraine", "ucrania", "ucraina", "украина", "україна"],
    ),
    (
        "TR",
        &[
            "turkey", "turkiye", "turkei", "turquie", "turquia", "turchia",
        ],
    ),
    ("IL", &["israel"]),
    ("AE", &["united arab emirates", "uae", "emirates"]),
    (
        "IN",
        &["india", "indien", "inde", "индия", "インド", "印度"],
    ),
    (
        "CN",
        &[
            "china",
            "prc",
            "chine",
            "cina",
            "китай",
            "中国",
            "中华人民共和国",
        ],
    ),
    ("HK", &["hong kong", "香港"]),
    ("TW", &["taiwan", "台湾", "臺灣"]),
    (
        "JP",
        &["japan", "japon", "japao", "giappone", "япония", "日本"],
    ),
    (
        "KR",
        &[
            "south korea",
            "korea",
            "republic of korea",
            "coree du sud",
            "corea del sur",
            "韩国",
            "대한민국",
            "한국",
        ],
    ),
    ("SG", &["singapore", "singapur", "singapour", "新加坡"]),
    (
        "AU",
        &[
            "australia",
            "australien",
            "australie",
            "australie",
            "австралия",
            "オーストラリア",
            "澳大利亚",
        ],
    ),
    (
        "NZ",
        &[
            "new zealand",
            "neuseeland",
            "nouvelle zelande",
            "nueva zelanda",
        ],
    ),
    (
        "ZA",
        &["south africa", "sudafrika", "afrique du sud", "sudafrica"],
    ),
    (
        "BR",
        &[
            "brazil",
            "brasil",
            "brasilien",
            "bresil",
            "brasile",
            "бразилия",
            "ブラジル",
            "巴西",
        ],
    ),
    (
        "MX",
        &[
            "mexico",
            "mexiko",
            "mexique",
            "messico",
            "мексика",
            "メキシコ",
            "墨西哥",
        ],
    ),
    ("AR", &["argentina", "argentinien", "argentine"]),
    ("CL", &["chile", "chili", "cile"]),
    ("CO", &["colombia", "kolumbien", "colombie"]),
];

thread_local! {
    /// Country fields repeat down a column: answers are remembered (bounded).
    static MEMO: Table<String, Option<&'static str>> = Default::default();
}

/// The region a country text names: a name in one of the listed languages, or a two-letter
/// code. The whole text must be the country, or end with it (an address's last line).
pub fn country_region(text: &str) -> Option<&'static str> {
    remember(&MEMO, 4096, text, || country_region_uncached(text))
}

fn country_region_uncached(text: &str) -> Option<&'static str> {
    let folded: String = fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let whole = words.join(" ");
    for (code, names) in COUNTRIES {
        if text.trim() == *code {
            return Some(code);
        }
        for name in *names {
            // Short names ("UK", "USA", "RF") only as capitals: "us" is a word.
            let upper = text.trim().chars().all(|c| !c.is_lowercase());
            if name.len() <= 3 && !upper {
                continue;
            }
            let ends_with_name = whole
                .strip_suffix(name)
                .is_some_and(|before| before.ends_with(' '));
            if whole == *name || (name.len() > 3 && ends_with_name) {
                return Some(code);
            }
            if name.chars().any(|c| c as u32 >= 0x3000) && whole.contains(name) {
                return Some(code);
            }
        }
    }
    None
}

/// The likely region of a locale tag: `de-AT` → AT, `de` → DE, `ja` → JP, `en` → US.
pub fn locale_region(tag: &str) -> Option<&'static str> {
    let mut parts = tag.split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    for part in parts {
        if part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic()) {
            let upper = part.to_ascii_uppercase();
            return COUNTRIES.iter().map(|(c, _)| *c).find(|c| *c == upper);
        }
    }
    let guess = match language.as_str() {
        "en" => "US",
        "de" => "DE",
        "fr" => "FR",
        "es" => "ES",
        "pt" => "BR",
        "it" => "IT",
        "nl" => "NL",
        "ru" => "RU",
        "ja" => "JP",
        "zh" => "CN",
        "ko" => "KR",
        "pl" => "PL",
        "sv" => "SE",
        "da" => "DK",
        "nb" | "no" => "NO",
        "fi" => "FI",
        "tr" => "TR",
        "uk" => "UA",
        _ => return None,
    };
    Some(guess)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_as_pages_write_them() {
        assert_eq!(country_region("Deutschland"), Some("DE"));
        assert_eq!(country_region("United Kingdom"), Some("GB"));
        assert_eq!(country_region("UK"), Some("GB"));
        assert_eq!(country_region("FR"), Some("FR"));
        assert_eq!(country_region("日本"), Some("JP"));
        assert_eq!(country_region("Россия"), Some("RU"));
        assert_eq!(
            country_region("10 Downing St, London SW1A 2AA, United Kingdom"),
            Some("GB")
        );
        assert_eq!(
            country_region("Rua Augusta 12, Lisboa, Portugal"),
            Some("PT")
        );
        assert_eq!(country_region("Springfield"), None);
        assert_eq!(
            country_region("us"),
            None,
            "a lower-case word is not a code"
        );
    }

    #[test]
    fn locales() {
        assert_eq!(locale_region("de-AT"), Some("AT"));
        assert_eq!(locale_region("fr"), Some("FR"));
        assert_eq!(locale_region("en-GB"), Some("GB"));
        assert_eq!(locale_region("xx"), None);
    }
}
