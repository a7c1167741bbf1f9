//! The path strings we register (protocol.md §3.2) and the handler each one selects.
//!
//! They are the same strings the recorded fixtures use, so a recorded request replays unchanged.

/// Every service path, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServicePath {
    /// Contact list sync (§4.1).
    Contacts,
    /// Dialer and recipient search (§4.2).
    ContactSearch,
    /// Caller-ID matching (§4.3).
    ContactMatch,
    /// "View contact" (§4.4).
    ViewMatchedContact,
    /// A contact's activity list (§4.5).
    Activities,
    /// A click on one activity (§4.5).
    Activity,
    /// Call logging (§4.6).
    CallLogger,
    /// Which calls are logged (§4.7).
    CallLogEntityMatcher,
    /// Custom call-log form changes (§4.8).
    CallLogPageInputChanged,
    /// Message logging (§4.9).
    MessageLogger,
    /// Which conversation-days are logged (§4.10).
    MessageLogEntityMatcher,
    /// Custom message-log form changes (§4.11).
    MessagesLogPageInputChanged,
    /// Widget-side settings changes (§4.12).
    Settings,
    /// Button events (§4.13).
    ButtonEvent,
    /// Custom page changes (§4.14).
    CustomizedPageInputChanged,
    /// The Feedback link (§4.15).
    Feedback,
    /// vCard attachment clicks (§4.16).
    Vcard,
    /// Meeting invitations (§4.17).
    MeetingInvite,
    /// Upcoming meetings (§4.18).
    MeetingUpcoming,
    /// The authorization button (§5).
    Authorization,
    /// Pre-call / pre-SMS do-not-contact check (§4.20).
    DoNotContact,
}

impl ServicePath {
    /// Every path, in registration order.
    pub const ALL: [ServicePath; 21] = [
        ServicePath::Contacts,
        ServicePath::ContactSearch,
        ServicePath::ContactMatch,
        ServicePath::ViewMatchedContact,
        ServicePath::Activities,
        ServicePath::Activity,
        ServicePath::CallLogger,
        ServicePath::CallLogEntityMatcher,
        ServicePath::CallLogPageInputChanged,
        ServicePath::MessageLogger,
        ServicePath::MessageLogEntityMatcher,
        ServicePath::MessagesLogPageInputChanged,
        ServicePath::Settings,
        ServicePath::ButtonEvent,
        ServicePath::CustomizedPageInputChanged,
        ServicePath::Feedback,
        ServicePath::Vcard,
        ServicePath::MeetingInvite,
        ServicePath::MeetingUpcoming,
        ServicePath::Authorization,
        ServicePath::DoNotContact,
    ];

    /// The string registered for this path.
    pub fn as_str(self) -> &'static str {
        match self {
            ServicePath::Contacts => "/contacts",
            ServicePath::ContactSearch => "/contacts/search",
            ServicePath::ContactMatch => "/contacts/match",
            ServicePath::ViewMatchedContact => "/contacts/view",
            ServicePath::Activities => "/activities",
            ServicePath::Activity => "/activity",
            ServicePath::CallLogger => "/callLogger",
            ServicePath::CallLogEntityMatcher => "/callLogger/match",
            ServicePath::CallLogPageInputChanged => "/callLogger/inputChanged",
            ServicePath::MessageLogger => "/messageLogger",
            ServicePath::MessageLogEntityMatcher => "/messageLogger/match",
            ServicePath::MessagesLogPageInputChanged => "/messageLogger/inputChanged",
            ServicePath::Settings => "/settings",
            ServicePath::ButtonEvent => "/button-click",
            ServicePath::CustomizedPageInputChanged => "/customizedPage/inputChanged",
            ServicePath::Feedback => "/feedback",
            ServicePath::Vcard => "/vcard",
            ServicePath::MeetingInvite => "/meeting/invite",
            ServicePath::MeetingUpcoming => "/meeting/upcoming",
            ServicePath::Authorization => "/authorize",
            ServicePath::DoNotContact => "/doNotContact",
        }
    }

    /// The path a request names, if it is one of ours.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_reads_back() {
        for path in ServicePath::ALL {
            assert_eq!(ServicePath::from_path(path.as_str()), Some(path));
        }
        assert_eq!(ServicePath::from_path("/nope"), None);
    }
}
