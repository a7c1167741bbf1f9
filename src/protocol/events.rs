//! Events the widget posts to its host (protocol.md §10), typed where we act on them.
//! Every other event is kept as [`WidgetEvent::Other`] with its type: never an error.

use serde::Deserialize;
use serde_json::Value;

/// A widget → host event.
#[derive(Debug, Clone, PartialEq)]
pub enum WidgetEvent {
    /// Login state known or changed; the first one of a widget load triggers our registration.
    LoginStatus(LoginStatus),
    /// An incoming browser call rings.
    CallRing(WebphoneCall),
    /// An outbound browser call was created.
    CallInit(WebphoneCall),
    /// A call was answered or connected.
    CallStart(WebphoneCall),
    /// A call ended (a missed call sends this twice).
    CallEnd(WebphoneCall),
    /// A call on any device changed state (presence view; no web-phone fields).
    ActiveCall(Value),
    /// A message was created or changed.
    MessageUpdated(Value),
    /// A new inbound SMS, voicemail or fax.
    InboundMessage(Value),
    /// The widget navigated.
    RouteChanged(String),
    /// The "Auto log calls" switch changed.
    CallAutoLog(bool),
    /// The "Auto log messages" switch changed.
    MessageAutoLog(bool),
    /// Any other event, by its `type`.
    Other(String),
}

/// `rc-login-status-notify`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginStatus {
    /// Whether a user is logged in.
    #[serde(default)]
    pub logged_in: bool,
    /// `<mainNumber>*<ext>` of the user.
    #[serde(default)]
    pub login_number: Option<String>,
}

/// The web-phone call of ring/init/start/end events (the fields we read).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebphoneCall {
    /// The web-phone session id.
    #[serde(default)]
    pub id: Option<String>,
    /// `Inbound` or `Outbound`.
    #[serde(default)]
    pub direction: Option<String>,
    /// The caller's number.
    #[serde(default)]
    pub from: Option<String>,
    /// The callee's number.
    #[serde(default)]
    pub to: Option<String>,
    /// Caller-ID name of the caller.
    #[serde(default)]
    pub from_user_name: Option<String>,
    /// Name of the callee.
    #[serde(default)]
    pub to_user_name: Option<String>,
    /// `{sessionId, partyId}` of the call (links to call logging).
    #[serde(default)]
    pub party_data: Option<Value>,
}

impl WebphoneCall {
    /// The other party's number: the caller for inbound calls, the callee for outbound ones.
    pub fn other_party(&self) -> Option<&str> {
        match self.direction.as_deref() {
            Some("Outbound") => self.to.as_deref(),
            _ => self.from.as_deref(),
        }
    }
}

impl WidgetEvent {
    /// Reads an event; a known type with an unreadable payload becomes `Other`.
    pub fn read(message: &Value) -> Option<Self> {
        let kind = message.get("type")?.as_str()?;
        let call = || {
            message
                .get("call")
                .and_then(|call| WebphoneCall::deserialize(call).ok())
        };
        let flag = |key: &str| message.get(key).and_then(Value::as_bool);
        let field = |key: &str| message.get(key).cloned();
        let event = match kind {
            "rc-login-status-notify" => LoginStatus::deserialize(message)
                .ok()
                .map(Self::LoginStatus),
            "rc-call-ring-notify" => call().map(Self::CallRing),
            "rc-call-init-notify" => call().map(Self::CallInit),
            "rc-call-start-notify" => call().map(Self::CallStart),
            "rc-call-end-notify" => call().map(Self::CallEnd),
            "rc-active-call-notify" => field("call").map(Self::ActiveCall),
            "rc-message-updated-notify" => field("message").map(Self::MessageUpdated),
            "rc-inbound-message-notify" => field("message").map(Self::InboundMessage),
            "rc-route-changed-notify" => message
                .get("path")
                .and_then(Value::as_str)
                .map(|p| Self::RouteChanged(p.to_owned())),
            "rc-callLogger-auto-log-notify" => flag("autoLog").map(Self::CallAutoLog),
            "rc-messageLogger-auto-log-notify" => flag("autoLog").map(Self::MessageAutoLog),
            _ => None,
        };
        Some(event.unwrap_or_else(|| Self::Other(kind.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_inbound_ring_names_the_caller() {
        let event = WidgetEvent::read(&json!({
            "type": "rc-call-ring-notify",
            "call": { "id": "s1", "direction": "Inbound", "from": "+14155550123", "to": "16505550101" }
        }));
        let Some(WidgetEvent::CallRing(call)) = event else {
            panic!("{event:?}")
        };
        assert_eq!(call.other_party(), Some("+14155550123"));
    }

    #[test]
    fn unknown_events_are_kept_by_type() {
        assert_eq!(
            WidgetEvent::read(&json!({ "type": "rc-brand-new-notify", "x": 1 })),
            Some(WidgetEvent::Other("rc-brand-new-notify".into()))
        );
        assert_eq!(WidgetEvent::read(&json!({ "no": "type" })), None);
    }
}
