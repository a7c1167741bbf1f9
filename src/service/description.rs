//! The service description we register, built from the user's settings: a service the user
//! switched off is not registered, so the widget never asks for it.

use crate::protocol::registration::{Registration, ServiceDescription};
use crate::service::paths::ServicePath;
use crate::settings::Settings;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Our service name: contacts carry it as their `type`.
pub const SERVICE_NAME: &str = "crm-bridge";
/// The widget-settings button that opens our options page.
pub const OPEN_OPTIONS_BUTTON: &str = "openOptions";
/// The widget-settings toggle: open the caller's CRM record when a call rings.
pub const OPEN_RECORD_ON_RING: &str = "openRecordOnRing";

/// How long the widget keeps a contact match (its default is 2 h).
pub const CONTACT_MATCH_TTL_MS: u64 = 30 * 60_000;
/// How soon the widget asks again for a number without a match, or with an old one (its
/// default is 5 min).
pub const CONTACT_NO_MATCH_TTL_MS: u64 = 60_000;

/// Our items in the widget's settings with the user's stored values applied.
pub fn widget_settings_items(toggles: &BTreeMap<String, Value>) -> Vec<Value> {
    let mut items = default_widget_settings();
    for item in &mut items {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        if let Some(value) = toggles.get(&id) {
            item["value"] = value.clone();
        }
    }
    items
}

/// The values the user set for our items in a widget settings list (item id → value); items
/// that are not ours are ignored.
pub fn toggle_values(items: &[Value]) -> BTreeMap<String, Value> {
    let ours: Vec<Value> = default_widget_settings();
    let is_ours = |id: &str| ours.iter().any(|item| item["id"] == id);
    items
        .iter()
        .filter_map(|item| {
            Some((
                item.get("id")?.as_str()?.to_owned(),
                item.get("value")?.clone(),
            ))
        })
        .filter(|(id, _)| is_ours(id))
        .collect()
}

/// The items crm-bridge shows in the widget's settings (§4.12), with their defaults.
pub fn default_widget_settings() -> Vec<Value> {
    vec![
        json!({ "id": OPEN_RECORD_ON_RING, "type": "boolean",
                "name": "Open the caller's CRM record when a call rings", "value": true }),
        json!({ "id": OPEN_OPTIONS_BUTTON, "type": "button", "name": "crm-bridge options",
                "buttonLabel": "Open" }),
    ]
}

/// The registration message for these settings, widget items and authorization state.
pub fn registration(
    settings: &Settings,
    widget_items: Vec<Value>,
    authorized: bool,
) -> Registration {
    let on = &settings.services;
    let path = |enabled: bool, path: ServicePath| enabled.then(|| path.as_str().to_owned());
    let mut service = ServiceDescription {
        name: SERVICE_NAME.into(),
        // The name contacts, search results and details show (the service name) and the one
        // on the widget's settings page are the same: the product's.
        display_name: Some(SERVICE_NAME.into()),
        info: Some("Contacts and call logging for the CRM sites you enabled".into()),
        contacts_path: path(on.contacts, ServicePath::Contacts),
        contact_search_path: path(on.contacts, ServicePath::ContactSearch),
        contact_match_path: path(on.contacts, ServicePath::ContactMatch),
        view_matched_contact_path: path(on.contacts, ServicePath::ViewMatchedContact),
        // Matching is answered locally in a few ms, so the widget may ask often: a caller
        // discovery has just seen on a page matches within a minute even without our re-sync
        // trigger, and a changed record is not shown stale for two hours.
        contact_match_ttl: on.contacts.then_some(CONTACT_MATCH_TTL_MS),
        contact_no_match_ttl: on.contacts.then_some(CONTACT_NO_MATCH_TTL_MS),
        activities_path: path(on.activities, ServicePath::Activities),
        activity_path: path(on.activities, ServicePath::Activity),
        activity_name: on.activities.then(|| "CRM activities".into()),
        call_logger_path: path(on.call_logging, ServicePath::CallLogger),
        call_logger_title: on.call_logging.then(|| "Log to CRM".into()),
        call_log_entity_matcher_path: path(on.call_logging, ServicePath::CallLogEntityMatcher),
        call_logger_auto_setting_label: on.call_logging.then(|| "Auto log calls to CRM".into()),
        recording_with_token: on.call_logging.then_some(true),
        call_log_page_input_changed_event_path: path(
            on.call_logging,
            ServicePath::CallLogPageInputChanged,
        ),
        message_logger_path: path(on.message_logging, ServicePath::MessageLogger),
        message_logger_title: on.message_logging.then(|| "Log to CRM".into()),
        message_log_entity_matcher_path: path(
            on.message_logging,
            ServicePath::MessageLogEntityMatcher,
        ),
        message_logger_auto_setting_label: on
            .message_logging
            .then(|| "Auto log messages to CRM".into()),
        attachment_with_token: on.message_logging.then_some(true),
        meeting_invite_path: path(on.meeting_invite, ServicePath::MeetingInvite),
        meeting_invite_title: on.meeting_invite.then(|| "Add to CRM".into()),
        do_not_contact_path: path(on.do_not_contact, ServicePath::DoNotContact),
        authorization_path: Some(ServicePath::Authorization.as_str().into()),
        authorized: Some(authorized),
        authorized_title: Some("Disconnect".into()),
        unauthorized_title: Some("Connect".into()),
        authorized_account: authorized.then(|| "this browser".into()),
        button_event_path: Some(ServicePath::ButtonEvent.as_str().into()),
        ..Default::default()
    };
    if !widget_items.is_empty() {
        service.settings_path = Some(ServicePath::Settings.as_str().into());
        service.settings = Some(widget_items);
    }
    Registration::new(service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_registered_by_default() {
        let registration = registration(&Settings::default(), default_widget_settings(), true);
        let service = serde_json::to_value(&registration.service).unwrap();
        for key in [
            "contactsPath",
            "contactSearchPath",
            "contactMatchPath",
            "contactMatchTtl",
            "contactNoMatchTtl",
            "viewMatchedContactPath",
            "activitiesPath",
            "activityPath",
            "callLoggerPath",
            "callLogEntityMatcherPath",
            "callLogPageInputChangedEventPath",
            "messageLoggerPath",
            "messageLogEntityMatcherPath",
            "meetingInvitePath",
            "doNotContactPath",
            "authorizationPath",
            "settingsPath",
            "buttonEventPath",
        ] {
            assert!(service.get(key).is_some(), "{key} missing");
            if let Some(path) = service[key].as_str() {
                assert!(
                    ServicePath::from_path(path).is_some(),
                    "{key}: {path} is not routed"
                );
            }
        }
        assert!(
            service.get("conferenceInvitePath").is_none(),
            "removed from the widget in 2023"
        );
    }

    #[test]
    fn the_phone_shows_one_name_for_the_service_everywhere() {
        let service = registration(&Settings::default(), vec![], true).service;
        // The widget labels contacts, search results and details with `name`, and its
        // settings page with `displayName`: a user must see the product's name in both.
        assert_eq!(service.display_name.as_deref(), Some(service.name.as_str()));
        assert_eq!(service.name, "crm-bridge");
    }

    #[test]
    fn stored_values_override_the_defaults() {
        let mut toggles = BTreeMap::new();
        toggles.insert(OPEN_RECORD_ON_RING.to_owned(), json!(false));
        let items = widget_settings_items(&toggles);
        assert_eq!(items[0]["value"], false);
        assert_eq!(toggle_values(&items)[OPEN_RECORD_ON_RING], json!(false));
        assert!(
            !toggle_values(&items).contains_key(OPEN_OPTIONS_BUTTON),
            "buttons have no value"
        );
        let foreign = [json!({ "id": "somebodyElse", "type": "boolean", "value": true })];
        assert!(toggle_values(&foreign).is_empty());
    }

    #[test]
    fn a_switched_off_service_is_not_registered() {
        let mut settings = Settings::default();
        settings.services.call_logging = false;
        settings.services.contacts = false;
        let service = serde_json::to_value(registration(&settings, vec![], false).service).unwrap();
        for key in [
            "callLoggerPath",
            "callLogEntityMatcherPath",
            "contactsPath",
            "contactMatchPath",
            "settingsPath",
        ] {
            assert!(service.get(key).is_none(), "{key} still registered");
        }
        assert!(service.get("messageLoggerPath").is_some());
        assert_eq!(service["authorized"], false);
    }
}
