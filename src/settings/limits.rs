//! The bounds on what discovery may keep (see `background::learning`), a part of the settings
//! so an admin can raise them in a settings file.

use serde::{Deserialize, Serialize};

/// How many contacts discovery may keep (settings `limits`; documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LearningLimits {
    /// Contacts one site may hold from what pages show.
    pub per_site: usize,
    /// Contacts all sites together may hold from what pages show.
    pub total: usize,
    /// New contacts one site's pages may add per minute.
    pub new_per_minute: usize,
}

impl Default for LearningLimits {
    fn default() -> Self {
        Self {
            per_site: 100_000,
            total: 250_000,
            new_per_minute: 1_000,
        }
    }
}

impl LearningLimits {
    /// The limits with every value at least 1 (a zero would hold back every new contact for
    /// good, which "forget the site" is for).
    pub fn sane(self) -> Self {
        Self {
            per_site: self.per_site.max(1),
            total: self.total.max(1),
            new_per_minute: self.new_per_minute.max(1),
        }
    }
}

/// Why new contacts of a page were not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HeldBack {
    /// The site holds its cap of contacts.
    SiteFull,
    /// All sites together hold the total cap.
    StoreFull,
    /// The site's pages added their new contacts for this minute.
    TooFast,
}

impl HeldBack {
    /// The notice for the user (popup, diagnostics).
    pub fn sentence(self, site: &str, limits: &LearningLimits) -> String {
        match self {
            HeldBack::SiteFull => format!(
                "{site} holds {} contacts, its limit: new people on its pages are not kept \
                 (known ones are still updated). Forget contacts in the options page, or raise \
                 limits.perSite in a settings file.",
                limits.per_site
            ),
            HeldBack::StoreFull => format!(
                "crm-bridge holds {} contacts from pages, its limit: new people are not kept \
                 (known ones are still updated). Raise limits.total in a settings file.",
                limits.total
            ),
            HeldBack::TooFast => format!(
                "{site} showed more than {} new people in a minute: the rest are not kept for \
                 now (a page that floods new contacts is held back; a list is read whole by the \
                 toolbar's import).",
                limits.new_per_minute
            ),
        }
    }
}

/// What the popup says of a page whose new contacts were held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldBackNote {
    /// Which limit.
    pub reason: HeldBack,
    /// Its value.
    pub limit: usize,
}

impl HeldBack {
    /// The note for a limit of `limits`.
    pub fn note(self, limits: &LearningLimits) -> HeldBackNote {
        let limit = match self {
            HeldBack::SiteFull => limits.per_site,
            HeldBack::StoreFull => limits.total,
            HeldBack::TooFast => limits.new_per_minute,
        };
        HeldBackNote {
            reason: self,
            limit,
        }
    }
}

/// Small limits for tests: a site of 100, 150 in all, 10 new a minute.
#[cfg(test)]
pub const TEST_LIMITS: LearningLimits = LearningLimits {
    per_site: 100,
    total: 150,
    new_per_minute: 10,
};

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: LearningLimits = TEST_LIMITS;

    #[test]
    fn the_notice_names_the_limit_and_what_still_happens() {
        let text = HeldBack::SiteFull.sentence("https://crm.example", &LIMITS);
        assert!(
            text.contains("100") && text.contains("still updated"),
            "{text}"
        );
    }

    #[test]
    fn zero_limits_are_raised_to_one() {
        let zero = LearningLimits {
            per_site: 0,
            total: 0,
            new_per_minute: 0,
        };
        assert_eq!(zero.sane().per_site, 1);
        assert_eq!(HeldBack::TooFast.note(&LIMITS).limit, 10);
    }
}
