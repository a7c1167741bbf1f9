//! Commands we post into the widget (protocol.md §8 and §9). The widget checks no origin, so
//! only the widget host posts these, to the widget's window and origin.

use serde::Serialize;
use serde_json::Value;

/// A host → widget command; serialises to the exact `{type, …}` message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum WidgetCommand {
    /// Re-sync our contacts now (sync type `api`), then re-match (§8.1).
    #[serde(rename = "rc-adapter-sync-third-party-contacts")]
    SyncContacts,
    /// Force a re-match of numbers the widget is already tracking (§8.1).
    #[serde(rename = "rc-adapter-trigger-contact-match", rename_all = "camelCase")]
    TriggerContactMatch {
        /// The numbers to re-match.
        phone_numbers: Vec<String>,
    },
    /// Force a re-match of call sessions (after a log was written elsewhere) (§8.1).
    #[serde(
        rename = "rc-adapter-trigger-call-logger-match",
        rename_all = "camelCase"
    )]
    TriggerCallLoggerMatch {
        /// The call sessions to re-match.
        session_ids: Vec<String>,
    },
    /// Report the authorization state (§5).
    #[serde(
        rename = "rc-adapter-update-authorization-status",
        rename_all = "camelCase"
    )]
    UpdateAuthorizationStatus {
        /// Connected or not.
        authorized: bool,
        /// Shown under the service.
        authorized_account: String,
    },
    /// Replace our items in the widget's settings (§8.2).
    #[serde(rename = "rc-adapter-update-third-party-settings")]
    UpdateThirdPartySettings {
        /// The whole list.
        settings: Vec<Value>,
    },
    /// Replace the call-log page with our form for this site (§8.3); opened with
    /// [`WidgetCommand::NavigateTo`] `/log/call/<sessionId>`.
    #[serde(rename = "rc-adapter-update-call-log-page")]
    UpdateCallLogPage {
        /// `{title, schema, uiSchema, formData}`.
        page: Value,
    },
    /// Prepare (or place, with `to_call`) a call (§9).
    #[serde(rename = "rc-adapter-new-call", rename_all = "camelCase")]
    NewCall {
        /// The number.
        phone_number: String,
        /// Dial at once.
        to_call: bool,
    },
    /// Open an SMS to a number (§9).
    #[serde(rename = "rc-adapter-new-sms", rename_all = "camelCase")]
    NewSms {
        /// The recipient.
        phone_number: String,
        /// Pre-filled text.
        text: String,
    },
    /// Show, replace or hide (`{id, hidden: true}`) our banner at the top of the widget
    /// (§8.5); its action button comes back as a `buttonEventPath` request with its id.
    #[serde(rename = "rc-adapter-update-customized-banner")]
    UpdateBanner {
        /// `{id, message, severity, action?, closable?}` or `{id, hidden: true}`.
        banner: Value,
    },
    /// Show a widget route, e.g. `/log/call/<sessionId>` (§9).
    #[serde(rename = "rc-adapter-navigate-to")]
    NavigateTo {
        /// The route.
        path: String,
    },
    /// Answer, reject, hang up, hold, … (§9).
    #[serde(rename = "rc-adapter-control-call", rename_all = "camelCase")]
    ControlCall {
        /// `answer`, `reject`, `hangup`, `hold`, `unhold`, …
        call_action: String,
        /// The call; the ringing or active one when absent.
        #[serde(skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
    },
}

impl WidgetCommand {
    /// The message to post.
    pub fn to_message(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commands_have_the_widgets_exact_shapes() {
        assert_eq!(
            WidgetCommand::SyncContacts.to_message(),
            json!({ "type": "rc-adapter-sync-third-party-contacts" })
        );
        assert_eq!(
            WidgetCommand::TriggerContactMatch {
                phone_numbers: vec!["+1".into()]
            }
            .to_message(),
            json!({ "type": "rc-adapter-trigger-contact-match", "phoneNumbers": ["+1"] })
        );
        assert_eq!(
            WidgetCommand::UpdateAuthorizationStatus {
                authorized: true,
                authorized_account: "a".into()
            }
            .to_message(),
            json!({ "type": "rc-adapter-update-authorization-status", "authorized": true, "authorizedAccount": "a" })
        );
        assert_eq!(
            WidgetCommand::NewCall {
                phone_number: "+1".into(),
                to_call: false
            }
            .to_message(),
            json!({ "type": "rc-adapter-new-call", "phoneNumber": "+1", "toCall": false })
        );
        assert_eq!(
            WidgetCommand::ControlCall {
                call_action: "answer".into(),
                call_id: None
            }
            .to_message(),
            json!({ "type": "rc-adapter-control-call", "callAction": "answer" })
        );
        assert_eq!(
            WidgetCommand::NavigateTo {
                path: "/log/call/1".into()
            }
            .to_message(),
            json!({ "type": "rc-adapter-navigate-to", "path": "/log/call/1" })
        );
    }
}
