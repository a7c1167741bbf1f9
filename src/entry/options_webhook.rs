//! The webhook fields of a site's editor in the options page: URL, an extra header, a signing
//! secret; and the browser permission to POST to the webhook's host, asked at the Save click.

use crate::logging::webhook::Webhook;
use crate::platform;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlInputElement};

/// The inputs of one site's webhook.
#[derive(Clone)]
pub struct WebhookFields {
    url: HtmlInputElement,
    header_name: HtmlInputElement,
    header_value: HtmlInputElement,
    secret: HtmlInputElement,
    /// The user's word that a private-network URL is theirs (refused without it).
    private_network: HtmlInputElement,
}

impl WebhookFields {
    /// Builds the fields for site number `index` into `parent`, showing `webhook`.
    pub fn build(
        doc: &Document,
        parent: &Element,
        index: usize,
        webhook: &Webhook,
    ) -> Result<Self, JsValue> {
        let group = doc.create_element("fieldset")?;
        group.set_class_name("webhook");
        let legend = doc.create_element("legend")?;
        legend.set_text_content(Some(&platform::message("optionsWebhook", &[])));
        group.append_child(&legend)?;
        let help = doc.create_element("p")?;
        help.set_class_name("help");
        help.set_id(&format!("webhook-{index}-help"));
        help.set_text_content(Some(&platform::message("optionsWebhookHelp", &[])));
        group.append_child(&help)?;
        let field = |id: &str, label: &str, kind: &str, value: &str| {
            input(doc, &group, &format!("{id}-{index}"), label, kind, value)
        };
        let fields = Self {
            url: field(
                "webhook-url",
                &platform::message("optionsWebhookUrl", &[]),
                "url",
                &webhook.url,
            )?,
            header_name: field(
                "webhook-header-name",
                &platform::message("optionsWebhookHeaderName", &[]),
                "text",
                &webhook.header_name,
            )?,
            header_value: field(
                "webhook-header-value",
                &platform::message("optionsWebhookHeaderValue", &[]),
                "password",
                &webhook.header_value,
            )?,
            secret: field(
                "webhook-secret",
                &platform::message("optionsWebhookSecret", &[]),
                "password",
                &webhook.signing_secret,
            )?,
            private_network: check(
                doc,
                &group,
                &format!("webhook-private-{index}"),
                &platform::message("optionsWebhookPrivate", &[]),
                webhook.private_network,
            )?,
        };
        fields
            .url
            .set_attribute("aria-describedby", &format!("webhook-{index}-help"))?;
        parent.append_child(&group)?;
        Ok(fields)
    }

    /// What the fields say now.
    pub fn value(&self) -> Webhook {
        Webhook {
            url: self.url.value().trim().to_owned(),
            header_name: self.header_name.value().trim().to_owned(),
            header_value: self.header_value.value(),
            signing_secret: self.secret.value(),
            private_network: self.private_network.checked(),
        }
    }

    /// Shows the webhook as stored.
    pub fn show(&self, webhook: &Webhook) {
        self.url.set_value(&webhook.url);
        self.header_name.set_value(&webhook.header_name);
        self.header_value.set_value(&webhook.header_value);
        self.secret.set_value(&webhook.signing_secret);
        self.private_network.set_checked(webhook.private_network);
    }

    /// Marks the fields wrong (or right) for assistive technology and the eye.
    pub fn mark_invalid(&self, invalid: bool) {
        for input in [&self.url, &self.header_name, &self.header_value] {
            super::options_ui::mark_invalid(input, invalid);
        }
    }

    /// Asks the browser, inside the Save click, for permission to POST to the webhook's host;
    /// `None` when there is no webhook or its URL is wrong (the save then says why).
    pub fn ask_permission(&self) -> Option<Result<JsValue, JsValue>> {
        let pattern = self.value().validated().ok()?.origin_pattern()?;
        let origins = serde_json::json!({ "origins": [pattern] }).to_string();
        Some(
            platform::from_json(&origins)
                .and_then(|origins| platform::call(&["permissions", "request"], &[origins])),
        )
    }
}

/// A checkbox with its label after it, as the editor's other switches.
fn check(
    doc: &Document,
    parent: &Element,
    id: &str,
    label_text: &str,
    checked: bool,
) -> Result<HtmlInputElement, JsValue> {
    let label = doc.create_element("label")?;
    label.set_class_name("check");
    let input: HtmlInputElement = doc.create_element("input")?.dyn_into()?;
    input.set_type("checkbox");
    input.set_id(id);
    input.set_checked(checked);
    let text = doc.create_element("span")?;
    text.set_text_content(Some(label_text));
    label.append_child(&input)?;
    label.append_child(&text)?;
    parent.append_child(&label)?;
    Ok(input)
}

fn input(
    doc: &Document,
    parent: &Element,
    id: &str,
    label_text: &str,
    kind: &str,
    value: &str,
) -> Result<HtmlInputElement, JsValue> {
    let label = doc.create_element("label")?;
    label.set_attribute("for", id)?;
    label.set_text_content(Some(label_text));
    let input: HtmlInputElement = doc.create_element("input")?.dyn_into()?;
    input.set_id(id);
    input.set_type(kind);
    input.set_attribute("autocomplete", "off")?;
    input.set_attribute("spellcheck", "false")?;
    input.set_value(value);
    parent.append_child(&label)?;
    parent.append_child(&input)?;
    Ok(input)
}
