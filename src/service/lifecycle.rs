//! When to register the service: once per widget load, on its first login-status event.
//!
//! The widget throws "sourceName already exists" when a service with `contactsPath` registers
//! twice in one lifetime, and forgets every path when its frame reloads (protocol.md §3.1). The
//! widget host counts frame loads and asks this type before each registration.

use serde_json::Value;

/// `type` of the widget's login-status event, which also announces that it is listening.
pub const LOGIN_STATUS: &str = "rc-login-status-notify";

/// Registration bookkeeping for one widget frame.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WidgetLifecycle {
    loads_seen: u32,
    registered_load: Option<u32>,
}

impl WidgetLifecycle {
    /// The frame's `load` event fired (its first load, or a reload).
    pub fn frame_loaded(&mut self) {
        self.loads_seen += 1;
    }

    /// Whether this widget message calls for a registration now; answers yes once per load.
    pub fn should_register(&mut self, message: &Value) -> bool {
        if message.get("type").and_then(Value::as_str) != Some(LOGIN_STATUS) {
            return false;
        }
        // Messages before the first `load` event belong to the first load.
        let current = self.loads_seen.max(1);
        if self.registered_load == Some(current) {
            return false;
        }
        self.registered_load = Some(current);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn login() -> Value {
        json!({ "type": LOGIN_STATUS, "loggedIn": true })
    }

    #[test]
    fn registers_once_per_load_even_if_login_status_repeats() {
        let mut lifecycle = WidgetLifecycle::default();
        assert!(!lifecycle.should_register(&json!({ "type": "rc-route-changed-notify" })));
        assert!(lifecycle.should_register(&login()));
        lifecycle.frame_loaded(); // the first load's event may come after its first message
        assert!(!lifecycle.should_register(&login()));
        assert!(!lifecycle.should_register(&json!({ "type": LOGIN_STATUS, "loggedIn": false })));
    }

    #[test]
    fn registers_again_after_the_frame_reloads() {
        let mut lifecycle = WidgetLifecycle::default();
        lifecycle.frame_loaded();
        assert!(lifecycle.should_register(&login()));
        lifecycle.frame_loaded();
        assert!(lifecycle.should_register(&login()));
        assert!(!lifecycle.should_register(&login()));
    }
}
