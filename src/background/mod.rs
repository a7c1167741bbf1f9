//! The background worker's brain: one router from [`ToBackground`] requests to replies, with
//! widget service requests handed to the [`ServiceRouter`].
//!
//! It holds no browser handles; `entry::background` feeds it decoded envelopes, posts what it
//! returns and carries out the [`Effect`]s, so every rule here is tested natively.

use crate::protocol::bridge::{
    decode_envelope, FromBackground, Reply, ToBackground, WorkerTimings,
};
use crate::service::data::ServiceState;
use crate::service::description::{default_widget_settings, registration, SERVICE_NAME};
use crate::service::memory::{MemoryContacts, MemoryLogs, MemoryState};
use crate::service::{Effect, ServiceRouter};
use crate::settings::Settings;
use std::cell::{Cell, RefCell};

/// Contacts per page of the widget's contact sync.
pub const CONTACTS_PAGE_SIZE: usize = 500;

/// The router over the data the background has today (in memory until the store lands).
pub type BackgroundRouter = ServiceRouter<MemoryContacts, MemoryLogs, MemoryState>;

/// What handling one request produced: the reply for the page and work for the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    /// Posted back on the port.
    pub reply: Reply,
    /// Carried out by the background entry (open a tab, the options page).
    pub effects: Vec<Effect>,
}

/// State of one worker instance (an MV3 service worker may be stopped and started at any time,
/// so nothing here may be the only copy of anything that matters).
pub struct BackgroundCore {
    timings: Cell<WorkerTimings>,
    settings: RefCell<Settings>,
    router: BackgroundRouter,
}

impl Default for BackgroundCore {
    fn default() -> Self {
        Self::new(0.0, 0.0)
    }
}

impl BackgroundCore {
    /// A core for a worker whose loader started at `script_start_ms` and became ready at
    /// `wasm_ready_ms` (both `performance.now()` of the worker).
    pub fn new(script_start_ms: f64, wasm_ready_ms: f64) -> Self {
        Self {
            timings: Cell::new(WorkerTimings {
                script_start_ms,
                wasm_ready_ms,
                requests_handled: 0,
            }),
            settings: RefCell::new(Settings::default()),
            router: ServiceRouter::new(
                SERVICE_NAME,
                MemoryContacts::new(CONTACTS_PAGE_SIZE),
                MemoryLogs::default(),
                MemoryState::new(default_widget_settings()),
            ),
        }
    }

    /// Uses these settings from now on (loaded at wake-up and on every change).
    pub fn set_settings(&self, settings: Settings) {
        *self.settings.borrow_mut() = settings;
    }

    /// The service router (discovery and tests feed its data).
    pub fn router(&self) -> &BackgroundRouter {
        &self.router
    }

    /// The first message on every new port.
    pub fn ready(&self) -> FromBackground {
        FromBackground::Ready {
            version: crate::VERSION.to_owned(),
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: ToBackground) -> Handled {
        let mut timings = self.timings.get();
        timings.requests_handled += 1;
        self.timings.set(timings);
        let reply = |reply| Handled {
            reply,
            effects: Vec::new(),
        };
        match request {
            ToBackground::Ping { sent_at_ms } => reply(Reply::Pong {
                version: crate::VERSION.to_owned(),
                sent_at_ms,
            }),
            ToBackground::Diagnostics => reply(Reply::Diagnostics(self.timings.get())),
            ToBackground::Register => {
                let state = self.router.state();
                let (items, authorized) = (state.widget_settings().await, state.authorized().await);
                let registration = registration(&self.settings.borrow(), items, authorized);
                reply(Reply::ToWidget {
                    messages: serde_json::to_value(registration).into_iter().collect(),
                })
            }
            ToBackground::FromWidget { message } => {
                let Some(answer) = self.router.answer(&message).await else {
                    return reply(Reply::ToWidget {
                        messages: Vec::new(),
                    });
                };
                let (to_widget, effects): (Vec<Effect>, Vec<Effect>) = answer
                    .effects
                    .into_iter()
                    .partition(|e| matches!(e, Effect::PostToWidget(_)));
                let mut messages = vec![answer.response];
                messages.extend(to_widget.into_iter().filter_map(|e| match e {
                    Effect::PostToWidget(message) => Some(message),
                    _ => None,
                }));
                Handled {
                    reply: Reply::ToWidget { messages },
                    effects,
                }
            }
        }
    }

    /// Answers one raw port message; `None` when it has no id to answer to.
    pub async fn handle_text(&self, text: &str) -> Option<(FromBackground, Vec<Effect>)> {
        match decode_envelope(text) {
            Ok(envelope) => {
                let handled = self.handle(envelope.body).await;
                Some((
                    FromBackground::Reply {
                        id: envelope.id,
                        reply: handled.reply,
                    },
                    handled.effects,
                ))
            }
            Err(err) => err.id.map(|id| {
                let reply = Reply::Error {
                    message: err.message,
                };
                (FromBackground::Reply { id, reply }, Vec::new())
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::block_on;
    use serde_json::json;

    #[test]
    fn ping_is_answered_with_the_version_and_echo() {
        let core = BackgroundCore::new(1.0, 20.0);
        let reply = block_on(core.handle_text(r#"{"id":1,"body":{"kind":"ping","sentAtMs":5}}"#));
        assert_eq!(
            reply.map(|(r, _)| r),
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
        let core = BackgroundCore::new(1.0, 20.0);
        block_on(core.handle(ToBackground::Ping { sent_at_ms: 0.0 }));
        let Reply::Diagnostics(timings) = block_on(core.handle(ToBackground::Diagnostics)).reply
        else {
            panic!("expected diagnostics");
        };
        assert_eq!(timings.requests_handled, 2);
        assert_eq!(timings.wasm_ready_ms, 20.0);
    }

    #[test]
    fn unreadable_request_with_id_gets_an_error_reply() {
        let core = BackgroundCore::default();
        match block_on(core.handle_text(r#"{"id":4,"body":{"kind":"launchMissiles"}}"#)) {
            Some((
                FromBackground::Reply {
                    id: 4,
                    reply: Reply::Error { .. },
                },
                _,
            )) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(block_on(core.handle_text("][")).is_none());
    }

    #[test]
    fn every_widget_request_is_answered_with_its_id() {
        let core = BackgroundCore::default();
        let handled = block_on(core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-post-message-request", "requestId": "r1", "path": "/nope"}),
        }));
        let Reply::ToWidget { messages } = handled.reply else {
            panic!("expected widget messages")
        };
        assert_eq!(messages[0]["responseId"], "r1");
        assert_eq!(messages[0]["type"], "rc-post-message-response");
        assert!(messages[0]["response"]["error"]
            .as_str()
            .unwrap()
            .contains("/nope"));
    }

    #[test]
    fn widget_events_need_no_answer() {
        let core = BackgroundCore::default();
        let handled = block_on(core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-login-status-notify", "loggedIn": true}),
        }));
        assert_eq!(handled.reply, Reply::ToWidget { messages: vec![] });
    }

    #[test]
    fn registration_follows_the_settings() {
        let core = BackgroundCore::default();
        let mut settings = Settings::default();
        settings.services.message_logging = false;
        core.set_settings(settings);
        let Reply::ToWidget { messages } = block_on(core.handle(ToBackground::Register)).reply
        else {
            panic!("expected the registration")
        };
        assert_eq!(
            messages[0]["type"],
            "rc-adapter-register-third-party-service"
        );
        assert_eq!(messages[0]["service"]["name"], "crm-bridge");
        assert!(messages[0]["service"].get("messageLoggerPath").is_none());
        assert!(messages[0]["service"]["settings"].as_array().is_some());
    }

    #[test]
    fn authorization_updates_reach_the_widget_after_the_answer() {
        let core = BackgroundCore::default();
        let handled = block_on(core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-post-message-request", "requestId": "a1",
                            "path": "/authorize", "body": {"authorized": true}}),
        }));
        let Reply::ToWidget { messages } = handled.reply else {
            panic!()
        };
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["responseId"], "a1");
        assert_eq!(
            messages[1]["type"],
            "rc-adapter-update-authorization-status"
        );
        assert_eq!(messages[1]["authorized"], false);
    }
}
