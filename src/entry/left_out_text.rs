//! The words for why a page's numbers are not lines to call, shared by the popup and the
//! options page's recipe preview.

use crate::platform;
use crate::protocol::evidence::{LeftOut, LeftOutReason};

/// One line per reason, most likely to need the user first, each with its message key.
pub fn reason_lines(left_out: &LeftOut) -> Vec<(&'static str, String)> {
    left_out
        .reasons()
        .into_iter()
        .map(|(reason, count)| {
            let key = match reason {
                LeftOutReason::Fax => "popupLeftOutFax",
                LeftOutReason::NotAPhone => "popupLeftOutNotAPhone",
                LeftOutReason::InText => "popupLeftOutInText",
                LeftOutReason::NoName => "popupLeftOutNoName",
                LeftOutReason::Invalid => "popupLeftOutInvalid",
            };
            (key, platform::message(key, &[&count.to_string()]))
        })
        .collect()
}
