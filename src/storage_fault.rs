//! What a failed IndexedDB request means, in words a user can act on.
//!
//! The browser reports a storage failure as a `DOMException` whose debug text carries its name,
//! message and a JavaScript stack. Only the name decides what the user is told: a full disk
//! (`QuotaExceededError`), a connection the browser closed under us (`InvalidStateError`
//! "The database connection is closing", `UnknownError` when the disk failed a write), or
//! another failure. The words never carry the stack or Rust debug text (issue 21).

/// What kind of storage failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFault {
    /// No room left: nothing of the change was kept.
    Full,
    /// The browser closed the connection (often on a full or failing disk): it must be
    /// opened again before anything else can be read or written.
    Closed,
    /// The browser did not answer in time (a full disk can leave a transaction hanging):
    /// the change may or may not have been kept, and the connection is opened again.
    Slow,
    /// Another failure.
    Failed,
}

/// The `DOMException` names IndexedDB reports, most telling first.
const NAMES: &[&str] = &[
    "QuotaExceededError",
    "InvalidStateError",
    "UnknownError",
    "TransactionInactiveError",
    "AbortError",
    "VersionError",
    "DataError",
    "ConstraintError",
    "NotFoundError",
    "ReadOnlyError",
    "DataCloneError",
    "TimeoutError",
];

/// How much of a failure's own text Diagnostics keeps (never its stack).
const DETAIL_CHARS: usize = 160;

impl StoreFault {
    /// Reads the browser's report of a failure (`name: message` or a debug dump of the
    /// exception).
    pub fn of(report: &str) -> Self {
        let name = exception_name(report);
        let lower = report.to_ascii_lowercase();
        match name {
            Some("QuotaExceededError") => Self::Full,
            Some("TimeoutError") => Self::Slow,
            _ if lower.contains("quota") || lower.contains("no space left") => Self::Full,
            Some("InvalidStateError" | "UnknownError" | "TransactionInactiveError") => Self::Closed,
            _ if lower.contains("connection is closing")
                || lower.contains("database is closed")
                || lower.contains("disk is full") =>
            {
                Self::Closed
            }
            _ => Self::Failed,
        }
    }

    /// What the widget, the popup and Diagnostics say.
    pub fn sentence(self, report: &str) -> String {
        match self {
            Self::Full => "The browser's storage for crm-bridge is full: nothing of this change \
                           was kept. Free disk space, or forget sites you no longer use in the \
                           options page."
                .into(),
            Self::Closed => "The browser closed crm-bridge's store (often because the disk is \
                             full): nothing of this change was kept. It is opened again on the \
                             next request."
                .into(),
            Self::Slow => "crm-bridge's store did not answer in time (often because the disk \
                           is full): this change may not have been kept. Try again in a \
                           moment."
                .into(),
            Self::Failed => match exception_name(report) {
                Some(name) => {
                    format!("The contact store failed ({name}): nothing of this change was kept.")
                }
                None => "The contact store failed: nothing of this change was kept.".into(),
            },
        }
    }
}

/// The exception's name, when the report names one IndexedDB uses.
pub fn exception_name(report: &str) -> Option<&'static str> {
    NAMES.iter().copied().find(|name| report.contains(name))
}

/// The failure's first line without a stack or debug wrapping, short enough for Diagnostics.
pub fn detail(report: &str) -> String {
    let first = report
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("at "))
        .unwrap_or("");
    let printable: String = first
        .chars()
        .filter(|c| !c.is_control())
        .take(DETAIL_CHARS)
        .collect();
    printable
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `format!("{:?}", rexie::Error::IdbError(…))` printed in Chromium with a full disk.
    const CLOSING: &str = "DomException(JsValue(InvalidStateError: Failed to execute \
        'transaction' on 'IDBDatabase': The database connection is closing.\n\
        InvalidStateError: Failed to execute 'transaction' on 'IDBDatabase': The database \
        connection is closing.\n    at imports.wbg.__wbg_transaction_… (chrome-extension://abc/\
        background_bg.js:1:2)\n    at background_bg.wasm:0x1f2e3))";

    #[test]
    fn the_browser_closing_the_store_is_told_plainly_without_a_stack() {
        assert_eq!(StoreFault::of(CLOSING), StoreFault::Closed);
        let words = StoreFault::of(CLOSING).sentence(CLOSING);
        assert!(words.contains("closed crm-bridge's store"), "{words}");
        for leak in [
            "JsValue",
            "wasm",
            "chrome-extension",
            " at ",
            "DomException",
        ] {
            assert!(!words.contains(leak), "{leak} in {words}");
        }
        let kept = detail(CLOSING);
        assert!(
            kept.len() <= DETAIL_CHARS && !kept.contains("background_bg"),
            "{kept}"
        );
    }

    #[test]
    fn full_disks_and_other_failures() {
        for full in [
            "QuotaExceededError: The quota has been exceeded.",
            "UnknownError: Quota exceeded",
            "Error: IO error: No space left on device",
        ] {
            assert_eq!(StoreFault::of(full), StoreFault::Full, "{full}");
        }
        assert_eq!(
            StoreFault::of("UnknownError: Internal error."),
            StoreFault::Closed
        );
        let slow = "TimeoutError: the store did not answer within 8 s";
        assert_eq!(StoreFault::of(slow), StoreFault::Slow);
        assert!(StoreFault::Slow
            .sentence(slow)
            .contains("may not have been kept"));
        let other = "ConstraintError: Key already exists in the object store.";
        assert_eq!(StoreFault::of(other), StoreFault::Failed);
        assert_eq!(
            StoreFault::Failed.sentence(other),
            "The contact store failed (ConstraintError): nothing of this change was kept."
        );
        assert_eq!(
            StoreFault::Failed.sentence("JsValue(Object({}))"),
            "The contact store failed: nothing of this change was kept."
        );
    }
}
