//! The background worker's brain: one router from [`ToBackground`] requests to replies.
//!
//! It holds no browser handles; `entry::background` feeds it decoded envelopes and posts what it
//! returns, so every rule here is tested natively.

use crate::protocol::bridge::{
    decode_envelope, FromBackground, Reply, ToBackground, WorkerTimings,
};
use crate::protocol::widget::{service_request, ServiceResponse};
use serde_json::Value;

/// State of one worker instance (an MV3 service worker may be stopped and started at any time,
/// so nothing here may be the only copy of anything that matters).
#[derive(Debug, Default)]
pub struct BackgroundCore {
    timings: WorkerTimings,
}

impl BackgroundCore {
    /// A core for a worker whose loader started at `script_start_ms` and became ready at
    /// `wasm_ready_ms` (both `performance.now()` of the worker).
    pub fn new(script_start_ms: f64, wasm_ready_ms: f64) -> Self {
        Self {
            timings: WorkerTimings {
                script_start_ms,
                wasm_ready_ms,
                requests_handled: 0,
            },
        }
    }

    /// The first message on every new port.
    pub fn ready(&self) -> FromBackground {
        FromBackground::Ready {
            version: crate::VERSION.to_owned(),
        }
    }

    /// Answers one request.
    pub fn handle(&mut self, request: ToBackground) -> Reply {
        self.timings.requests_handled += 1;
        match request {
            ToBackground::Ping { sent_at_ms } => Reply::Pong {
                version: crate::VERSION.to_owned(),
                sent_at_ms,
            },
            ToBackground::Diagnostics => Reply::Diagnostics(self.timings),
            ToBackground::FromWidget { message } => Reply::ToWidget {
                messages: widget_answers(&message),
            },
        }
    }

    /// Answers one raw port message; `None` when it has no id to answer to.
    pub fn handle_text(&mut self, text: &str) -> Option<FromBackground> {
        match decode_envelope(text) {
            Ok(envelope) => Some(FromBackground::Reply {
                id: envelope.id,
                reply: self.handle(envelope.body),
            }),
            Err(err) => err.id.map(|id| FromBackground::Reply {
                id,
                reply: Reply::Error {
                    message: err.message,
                },
            }),
        }
    }
}

/// What the widget must receive in answer to one of its messages.
///
/// The skeleton serves no path yet: every service request gets a readable error answer, never
/// silence (the widget would otherwise wait for its timeout).
fn widget_answers(message: &Value) -> Vec<Value> {
    let answer = match service_request(message) {
        None => return Vec::new(),
        Some(Ok(request)) => ServiceResponse::error(
            &request.request_id,
            &format!("crm-bridge does not serve {} yet", request.path),
        ),
        Some(Err(reason)) => match message.get("requestId").and_then(Value::as_str) {
            Some(id) => ServiceResponse::error(id, &format!("malformed request: {reason}")),
            None => return Vec::new(),
        },
    };
    serde_json::to_value(answer).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ping_is_answered_with_the_version_and_echo() {
        let mut core = BackgroundCore::new(1.0, 20.0);
        let reply = core.handle_text(r#"{"id":1,"body":{"kind":"ping","sentAtMs":5}}"#);
        assert_eq!(
            reply,
            Some(FromBackground::Reply {
                id: 1,
                reply: Reply::Pong {
                    version: crate::VERSION.into(),
                    sent_at_ms: 5.0
                }
            })
        );
    }

    #[test]
    fn diagnostics_count_requests() {
        let mut core = BackgroundCore::new(1.0, 20.0);
        core.handle(ToBackground::Ping { sent_at_ms: 0.0 });
        let Reply::Diagnostics(timings) = core.handle(ToBackground::Diagnostics) else {
            panic!("expected diagnostics");
        };
        assert_eq!(timings.requests_handled, 2);
        assert_eq!(timings.wasm_ready_ms, 20.0);
    }

    #[test]
    fn unreadable_request_with_id_gets_an_error_reply() {
        let mut core = BackgroundCore::default();
        match core.handle_text(r#"{"id":4,"body":{"kind":"launchMissiles"}}"#) {
            Some(FromBackground::Reply {
                id: 4,
                reply: Reply::Error { .. },
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(core.handle_text("][").map(|_| ()), None);
    }

    #[test]
    fn every_widget_request_is_answered_with_its_id() {
        let mut core = BackgroundCore::default();
        let reply = core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-post-message-request", "requestId": "r1", "path": "/nope"}),
        });
        let Reply::ToWidget { messages } = reply else {
            panic!("expected widget messages")
        };
        assert_eq!(messages[0]["responseId"], "r1");
        assert_eq!(messages[0]["type"], "rc-post-message-response");
    }

    #[test]
    fn widget_events_need_no_answer() {
        let mut core = BackgroundCore::default();
        let reply = core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-login-status-notify", "loggedIn": true}),
        });
        assert_eq!(reply, Reply::ToWidget { messages: vec![] });
    }
}
