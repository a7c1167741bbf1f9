//! The RingCentral Embeddable `postMessage` protocol, as the widget really speaks it.
//!
//! Reference: `docs/protocol.md` §2 (envelopes). The widget checks no origins (§2.2), so
//! every check is ours: the widget host accepts only messages from the widget frame's window and
//! origin, and answers only to them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `type` of a service request the widget posts to its parent (§2.1).
pub const SERVICE_REQUEST: &str = "rc-post-message-request";
/// `type` of our answer to a service request (§2.1).
pub const SERVICE_RESPONSE: &str = "rc-post-message-response";

/// A service request from the widget: `{type, requestId, path, body?}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    /// A UUID string, echoed unchanged as `responseId`.
    pub request_id: String,
    /// Exactly the path string we registered.
    pub path: String,
    /// Absent for some paths; kept as JSON until the path's handler types it.
    #[serde(default)]
    pub body: Value,
}

/// Our answer to a [`ServiceRequest`]: the widget resolves with `response` and reads `.data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceResponse {
    /// Always [`SERVICE_RESPONSE`].
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The request's `requestId`.
    pub response_id: String,
    /// Always an object with `data` (§2.1: almost every caller reads `response.data`).
    pub response: Value,
}

impl ServiceResponse {
    /// A successful answer carrying `data`.
    pub fn data(request_id: &str, data: Value) -> Self {
        Self {
            kind: SERVICE_RESPONSE,
            response_id: request_id.to_owned(),
            response: json!({ "data": data }),
        }
    }

    /// An answer the widget can still read (`data` is present) that says what went wrong.
    pub fn error(request_id: &str, message: &str) -> Self {
        Self {
            kind: SERVICE_RESPONSE,
            response_id: request_id.to_owned(),
            response: json!({ "data": null, "error": message }),
        }
    }
}

/// One message for the widget window, kept as the JSON text it crosses to the widget host as:
/// an answer with a thousand contacts is written once, straight to text, instead of being
/// built as a value tree first (that tree was half the worker's time in a full sync).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WidgetMessage(Box<serde_json::value::RawValue>);

impl WidgetMessage {
    /// The message written from anything serializable (`null` if it cannot be, which our
    /// message types never are).
    pub fn of(message: &impl Serialize) -> Self {
        Self(
            serde_json::value::to_raw_value(message).unwrap_or_else(|_| {
                serde_json::value::RawValue::from_string("null".into()).expect("null is JSON")
            }),
        )
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The message read back as a value (tests, and the few places that look inside).
    pub fn value(&self) -> Value {
        serde_json::from_str(self.text()).unwrap_or(Value::Null)
    }
}

impl From<Value> for WidgetMessage {
    fn from(message: Value) -> Self {
        Self::of(&message)
    }
}

/// Equal when they say the same (the texts may differ in key order or spacing).
impl PartialEq for WidgetMessage {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() || self.value() == other.value()
    }
}

/// Reads a service request out of any widget message; other message types give `None`.
pub fn service_request(message: &Value) -> Option<Result<ServiceRequest, String>> {
    if message.get("type").and_then(Value::as_str) != Some(SERVICE_REQUEST) {
        return None;
    }
    Some(ServiceRequest::deserialize(message).map_err(|err| err.to_string()))
}

/// The origin (`scheme://host[:port]`) messages from the widget must come from.
///
/// Compared byte for byte with `MessageEvent.origin`, which browsers serialise the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetOrigin(String);

impl WidgetOrigin {
    /// The origin of a validated widget URL.
    pub fn of(url: &crate::url::WebUrl) -> Self {
        Self(url.origin())
    }

    /// Whether a `MessageEvent.origin` is the widget's.
    pub fn accepts(&self, event_origin: &str) -> bool {
        self.0 == event_origin
    }

    /// The `targetOrigin` for `postMessage` into the widget.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_recorded_request_shape() {
        let message = json!({
            "type": "rc-post-message-request",
            "requestId": "3b0c4a52-7f0e-4d39-9f7f-0c1f6f3f2e11",
            "path": "/contacts/match",
            "body": { "phoneNumbers": ["+16505550100"] }
        });
        let request = service_request(&message).unwrap().unwrap();
        assert_eq!(request.path, "/contacts/match");
        assert_eq!(request.request_id, "3b0c4a52-7f0e-4d39-9f7f-0c1f6f3f2e11");
    }

    #[test]
    fn other_message_types_are_not_requests() {
        assert!(service_request(&json!({"type": "rc-login-status-notify"})).is_none());
    }

    #[test]
    fn a_request_without_id_is_an_error() {
        let message = json!({"type": "rc-post-message-request", "path": "/x"});
        assert!(service_request(&message).unwrap().is_err());
    }

    #[test]
    fn responses_echo_the_id_and_carry_data() {
        let text = serde_json::to_value(ServiceResponse::error("abc", "nope")).unwrap();
        assert_eq!(text["type"], "rc-post-message-response");
        assert_eq!(text["responseId"], "abc");
        assert!(text["response"].as_object().unwrap().contains_key("data"));
    }

    #[test]
    fn origin_check_is_exact() {
        let url = crate::url::WebUrl::parse("https://apps.ringcentral.com/x/app.html").unwrap();
        let origin = WidgetOrigin::of(&url);
        assert!(origin.accepts("https://apps.ringcentral.com"));
        assert!(!origin.accepts("https://apps.ringcentral.com.evil.test"));
        assert!(!origin.accepts("null"));
    }
}
