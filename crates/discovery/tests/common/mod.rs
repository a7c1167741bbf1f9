//! Evidence built by hand for the integration tests: scopes and labelled fields.

use crm_bridge::protocol::evidence::{Field, Scope, ScopeKind};

/// A scope of `kind` inside `parent`.
pub fn scope(kind: ScopeKind, parent: Option<u32>) -> Scope {
    Scope {
        kind,
        parent,
        ..Scope::default()
    }
}

/// A text in scope `scope` under `label` (none when empty).
pub fn field(scope: u32, label: &str, text: &str) -> Field {
    Field {
        scope,
        label: (!label.is_empty()).then(|| label.into()),
        text: text.into(),
        ..Field::default()
    }
}
