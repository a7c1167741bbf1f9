//! The third-party service description we register in the widget (protocol.md §3).
//!
//! Sent once per widget load as `rc-adapter-register-third-party-service`: the widget throws on
//! a second registration with `contactsPath` in one lifetime (§3.1), so the widget host tracks
//! widget loads and registers after each. Fields the widget reads but we do not set are kept in
//! [`ServiceDescription::other`], so a description read from elsewhere round-trips unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `type` of the registration message.
pub const REGISTER_SERVICE: &str = "rc-adapter-register-third-party-service";

/// The registration message: `{type, service}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// Always [`REGISTER_SERVICE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// What we offer.
    pub service: ServiceDescription,
}

impl Registration {
    /// Wraps a description into the message the widget expects.
    pub fn new(service: ServiceDescription) -> Self {
        Self {
            kind: REGISTER_SERVICE.to_owned(),
            service,
        }
    }
}

/// Every `service` field the widget reads (§3.2) that this product sets; `None` is not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDescription {
    /// Mandatory service id; becomes contacts' `type` and the matcher name.
    pub name: String,
    /// Label shown instead of `name` (L 2.0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description under the service name in Settings (L 2.0.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// Contact list sync (§4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_path: Option<String>,
    /// Badge on contact avatars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_icon: Option<String>,
    /// Dialer and recipient search (§4.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_search_path: Option<String>,
    /// Caller-ID matching (§4.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_match_path: Option<String>,
    /// Match cache lifetime in ms (default 2 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_match_ttl: Option<u64>,
    /// Re-query interval for numbers without a match, in ms (default 5 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_no_match_ttl: Option<u64>,
    /// "View contact" opens the CRM record (§4.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_matched_contact_path: Option<String>,
    /// A contact's activity list (§4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activities_path: Option<String>,
    /// A click on one activity (§4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_path: Option<String>,
    /// Activities tab label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    /// Log button and auto-log for calls (§4.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_logger_path: Option<String>,
    /// The Log button's text for calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_logger_title: Option<String>,
    /// Append `access_token` to recording links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_with_token: Option<bool>,
    /// Log opens the widget's log page first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_log_modal: Option<bool>,
    /// Label of the "Auto log calls" switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_logger_auto_setting_label: Option<String>,
    /// "Is this call logged?" (§4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_log_entity_matcher_path: Option<String>,
    /// Custom call-log form events (§4.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_log_page_input_changed_event_path: Option<String>,
    /// Log button and auto-log for messages (§4.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_logger_path: Option<String>,
    /// The Log button's text for messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_logger_title: Option<String>,
    /// Append `access_token` to voicemail and fax attachment links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_with_token: Option<bool>,
    /// Label of the "Auto log messages" switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_logger_auto_setting_label: Option<String>,
    /// "Is this conversation logged?" (§4.10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_log_entity_matcher_path: Option<String>,
    /// Custom message-log form events (§4.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_log_page_input_changed_event_path: Option<String>,
    /// Meeting invite (§4.17); needs `meeting_invite_title` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_invite_path: Option<String>,
    /// Meeting invite button text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_invite_title: Option<String>,
    /// The authorization button (§5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_path: Option<String>,
    /// Initial authorization state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized: Option<bool>,
    /// Button text while authorized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_title: Option<String>,
    /// Button text while not authorized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthorized_title: Option<String>,
    /// Account shown under the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_account: Option<String>,
    /// Logo in the auth section (http(s) or `data:image` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_logo: Option<String>,
    /// Settings change events (§4.12); needs a non-empty `settings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_path: Option<String>,
    /// The settings items shown in the widget (§4.12); typed by the settings handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Vec<Value>>,
    /// Every button-type event (§4.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_event_path: Option<String>,
    /// Pre-call and pre-SMS do-not-contact check (§4.20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_contact_path: Option<String>,
    /// Fields the widget reads that we do not model (kept verbatim, never dropped).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = include_str!("../../tests/fixtures/widget/registration.json");

    #[test]
    fn the_recorded_registration_round_trips_unchanged() {
        let original: Value = serde_json::from_str(RECORDED).unwrap();
        let typed: Registration = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(typed.kind, REGISTER_SERVICE);
        assert_eq!(
            typed.service.contact_match_path.as_deref(),
            Some("/contacts/match")
        );
        assert_eq!(typed.service.contact_match_ttl, Some(7_200_000));
        assert_eq!(typed.service.settings.as_ref().map(Vec::len), Some(3));
        // Modelled fields are typed; the rest (e.g. the removed conference invite) is kept.
        assert!(typed.service.other.contains_key("conferenceInvitePath"));
        assert!(!typed.service.other.contains_key("contactsPath"));
        assert_eq!(serde_json::to_value(&typed).unwrap(), original);
    }

    #[test]
    fn unset_fields_are_not_sent() {
        let registration = Registration::new(ServiceDescription {
            name: "crm-bridge".into(),
            contacts_path: Some("/contacts".into()),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_value(registration).unwrap(),
            serde_json::json!({
                "type": "rc-adapter-register-third-party-service",
                "service": { "name": "crm-bridge", "contactsPath": "/contacts" }
            })
        );
    }

    #[test]
    fn a_description_without_name_is_refused() {
        let err = serde_json::from_str::<ServiceDescription>(r#"{"contactsPath":"/c"}"#);
        assert!(err.is_err());
    }
}
