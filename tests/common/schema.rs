//! The response-schema checker the Rust tests share with the widget simulator's
//! (`tests/widget-sim/schema.js`): the same JSON Schema subset, over the same data file.

use serde_json::Value;

/// The schema file: `$defs` plus one response schema per registration key.
pub struct Schemas {
    root: Value,
}

impl Schemas {
    /// Loads `tests/fixtures/widget/response-schemas.json`.
    pub fn load() -> Self {
        let text = include_str!("../fixtures/widget/response-schemas.json");
        Self {
            root: serde_json::from_str(text).expect("schema file is JSON"),
        }
    }

    /// Problems of a whole `rc-post-message-response` for this registration key (empty = valid).
    pub fn check_answer(&self, key: &str, message: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.check(&self.root["$defs"]["envelope"], message, "$", &mut problems);
        let schema = self.root["responses"]
            .get(key)
            .unwrap_or(&self.root["responses"]["default"]);
        self.check(schema, &message["response"], "$.response", &mut problems);
        problems
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/$defs/");
                &self.root["$defs"][name]
            }
            None => schema,
        }
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(expected) = schema.get("const") {
            if value != expected {
                problems.push(format!("{at}: expected {expected}, got {value}"));
            }
        }
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !allowed.iter().any(|t| type_matches(t, value)) {
                problems.push(format!("{at}: expected {allowed:?}, got {value}"));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                problems.push(format!("{at}: {value} is not one of {options:?}"));
            }
        }
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
            let fits = any.iter().any(|s| {
                let mut inner = Vec::new();
                self.check(s, value, at, &mut inner);
                inner.is_empty()
            });
            if !fits {
                problems.push(format!("{at}: matches none of anyOf"));
            }
        }
        if let Some(object) = value.as_object() {
            for key in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = key.as_str().unwrap_or_default();
                if !object.contains_key(key) {
                    problems.push(format!("{at}: missing \"{key}\""));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, child) in object {
                let child_at = format!("{at}.{key}");
                match properties.and_then(|p| p.get(key)) {
                    Some(s) => self.check(s, child, &child_at, problems),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            problems.push(format!("{child_at}: not allowed"))
                        }
                        Some(s @ Value::Object(_)) => self.check(s, child, &child_at, problems),
                        _ => {}
                    },
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, item) in array.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), problems);
            }
        }
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}
