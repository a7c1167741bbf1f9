//! Options page entry (`options.html`): phone settings, service switches, the phone's own
//! toggles, sites with their do-not-contact lists and call-log forms, settings file.
//!
//! The page never writes storage itself: it sends whole settings to the background, whose core
//! validates them (`Settings::from_json`) and refuses bad ones whole, so a bad value or a bad
//! file never half-applies.

use super::bridge_client::BridgeClient;
use super::i18n::localize;
use super::options_contacts::show_counts;
use super::options_ui::{mark_invalid, say, status_line};
use super::options_webhook::WebhookFields;
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use crate::settings::changes::changed_fields;
use crate::settings::site_options::{SiteOptions, SiteOptionsText};
use crate::settings::Settings;
use gloo::events::EventListener;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlTextAreaElement};

/// Text inputs: element id → key in `settings.widget`.
const WIDGET_FIELDS: [(&str, &str); 4] = [
    ("app-url", "appUrl"),
    ("client-id", "clientId"),
    ("app-server", "appServer"),
    ("redirect-uri", "redirectUri"),
];
/// Checkboxes named as keys of `settings.widget` (the widget's query options).
const WIDGET_FLAGS: [&str; 4] = [
    "multipleTabsSupport",
    "disconnectInactiveWebphone",
    "autoLogCalls",
    "autoLogMessages",
];
/// Checkboxes named as keys of `settings.services`.
const SERVICES: [&str; 6] = [
    "contacts",
    "activities",
    "callLogging",
    "messageLogging",
    "doNotContact",
    "meetingInvite",
];

/// Checkboxes named as keys of `settings.widgetToggles` (the items we show in the widget's
/// settings; changing one here changes it in open phones at once).
const WIDGET_TOGGLES: [&str; 1] = [crate::service::description::OPEN_RECORD_ON_RING];

/// Starts the options page.
#[wasm_bindgen]
pub async fn start_options() -> Result<(), JsValue> {
    let document = web_sys::window()
        .ok_or("no window")?
        .document()
        .ok_or("no document")?;
    localize(&document)?;
    let page = Rc::new(OptionsPage {
        document: document.clone(),
        bridge: Rc::new(BridgeClient::new("options", |_, _| {}, |_| {})),
        settings: RefCell::new(Value::Null),
    });
    let current = page.bridge.request(ToBackground::GetSettings).await;
    page.apply(current, "form-status", None);
    super::options_logs::LogsSection::start(&document, &page.bridge)?;
    super::options_diagnostics::DiagnosticsSection::start(&document, &page.bridge)?;
    let (stored, shown) = (page.clone(), page.clone());
    super::options_all_sites::wire(
        &document,
        &page.bridge,
        move || stored.settings.borrow()["allSites"]["on"].as_bool() == Some(true),
        move |reply| shown.apply(reply, "all-sites-status", Some("optionsAllSitesSaved")),
    )?;

    let form = page.element("settings-form")?;
    let on_submit = page.clone();
    // gloo listeners are passive unless told otherwise, and a passive one cannot stop the submit.
    let active = gloo::events::EventListenerOptions::enable_prevent_default();
    EventListener::new_with_options(&form, "submit", active, move |event| {
        event.prevent_default();
        let page = on_submit.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // What the user changed in the form only: the background applies it to the
            // settings as they are at its turn, so what changed elsewhere since this page
            // showed the settings (a site switched on, a toggle flipped in the phone) is kept.
            let changes = changed_fields(&page.form_values(), &page.settings.borrow());
            let reply = page
                .bridge
                .request(ToBackground::SaveOptions { changes })
                .await;
            page.apply(reply, "form-status", Some("optionsSaved"));
        });
    })
    .forget();

    let export = page.element("export")?;
    let on_export = page.clone();
    EventListener::new(&export, "click", move |_| {
        if let Err(err) = on_export.export() {
            platform::log_error(&format!("export failed: {err:?}"));
        }
    })
    .forget();

    let import: HtmlInputElement = page.element("import")?.dyn_into()?;
    let on_import = page.clone();
    EventListener::new(&import.clone(), "change", move |_| {
        let Some(file) = import.files().and_then(|files| files.get(0)) else {
            return;
        };
        let page = on_import.clone();
        let input = import.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            input.set_value("");
            let text = text.ok().and_then(|t| t.as_string()).unwrap_or_default();
            match serde_json::from_str::<Value>(&text) {
                Ok(settings) => {
                    let reply = page
                        .bridge
                        .request(ToBackground::SaveSettings { settings })
                        .await;
                    page.apply(reply, "file-status", Some("optionsImported"));
                }
                Err(err) => page.say(
                    "file-status",
                    false,
                    &platform::message(
                        "optionsRefused",
                        &[&format!("the file is not a settings file ({err})")],
                    ),
                ),
            }
        });
    })
    .forget();
    Ok(())
}

struct OptionsPage {
    document: Document,
    bridge: Rc<BridgeClient>,
    /// The settings as last stored (fields the page does not show are kept as they are).
    settings: RefCell<Value>,
}

impl OptionsPage {
    fn element(&self, id: &str) -> Result<Element, JsValue> {
        self.document
            .get_element_by_id(id)
            .ok_or_else(|| JsValue::from_str(&format!("options.html has no #{id}")))
    }

    fn input(&self, id: &str) -> Option<HtmlInputElement> {
        self.element(id).ok()?.dyn_into().ok()
    }

    fn text_area(&self, id: &str) -> Option<HtmlTextAreaElement> {
        self.element(id).ok()?.dyn_into().ok()
    }

    fn select(&self, id: &str) -> Option<web_sys::HtmlSelectElement> {
        self.element(id).ok()?.dyn_into().ok()
    }

    fn service(&self, name: &str) -> Option<HtmlInputElement> {
        let selector = format!("input[name=\"{name}\"]");
        self.document
            .query_selector(&selector)
            .ok()??
            .dyn_into()
            .ok()
    }

    /// Shows a reply: new settings fill the page; an error is said where `status` is.
    fn apply(self: &Rc<Self>, reply: Result<Reply, JsValue>, status: &str, done: Option<&str>) {
        match reply {
            Ok(Reply::Settings { settings }) => {
                self.fill(&settings);
                *self.settings.borrow_mut() = settings;
                if let Some(done) = done {
                    self.say(status, true, &platform::message(done, &[]));
                }
                let _ = self
                    .document
                    .body()
                    .map(|b| b.set_attribute("data-state", "ready"));
            }
            Ok(Reply::Error { message }) => {
                // The field the refusal is about (the background's words name it).
                for (id, named_by) in [
                    ("app-url", "widget URL"),
                    ("default-region", "default region"),
                    ("import-rate", "bulk imports"),
                    ("own-numbers", "your own numbers"),
                ] {
                    if let Ok(field) = self.element(id) {
                        mark_invalid(&field, message.contains(named_by));
                    }
                }
                self.say(
                    status,
                    false,
                    &platform::message("optionsRefused", &[&message]),
                );
            }
            Ok(other) => self.say(status, false, &format!("{other:?}")),
            Err(err) => self.say(status, false, &format!("{err:?}")),
        }
    }

    fn say(&self, status: &str, ok: bool, text: &str) {
        if let Ok(element) = self.element(status) {
            say(&element, ok, text);
        }
    }

    fn fill(self: &Rc<Self>, settings: &Value) {
        for (id, key) in WIDGET_FIELDS {
            if let Some(input) = self.input(id) {
                input.set_value(settings["widget"][key].as_str().unwrap_or_default());
                mark_invalid(&input, false);
            }
        }
        for name in SERVICES {
            if let Some(input) = self.service(name) {
                input.set_checked(settings["services"][name].as_bool().unwrap_or(true));
            }
        }
        for name in WIDGET_FLAGS {
            if let Some(input) = self.service(name) {
                input.set_checked(settings["widget"][name].as_bool().unwrap_or(false));
            }
        }
        if let Some(select) = self.select("default-call-with") {
            select.set_value(settings["widget"]["defaultCallWith"].as_str().unwrap_or(""));
        }
        for name in WIDGET_TOGGLES {
            if let Some(input) = self.service(name) {
                input.set_checked(settings["widgetToggles"][name].as_bool().unwrap_or(true));
            }
        }
        if let Some(region) = self.input("default-region") {
            region.set_value(settings["defaultRegion"].as_str().unwrap_or_default());
            mark_invalid(&region, false);
        }
        if let Some(rate) = self.input("import-rate") {
            let pages = settings["importRequestsPerSecond"].as_f64().unwrap_or(2.0);
            rate.set_value(&pages.to_string());
            mark_invalid(&rate, false);
        }
        if let Some(own) = self.text_area("own-numbers") {
            let lines: Vec<&str> = settings["ownNumbers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            own.set_value(&lines.join("\n"));
            mark_invalid(&own, false);
        }
        let _ = self.fill_sites(settings);
        super::options_all_sites::fill(&self.document, settings);
    }

    fn fill_sites(self: &Rc<Self>, settings: &Value) -> Result<(), JsValue> {
        let list = self.element("sites")?;
        list.set_text_content(None);
        let sites: Vec<String> = settings["sites"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        if sites.is_empty() {
            let empty = self.document.create_element("li")?;
            empty.set_text_content(Some(&platform::message("optionsNoSites", &[])));
            list.append_child(&empty)?;
        }
        let mut counts = Vec::new();
        for (index, site) in sites.into_iter().enumerate() {
            let item = self.document.create_element("li")?;
            let head = self.document.create_element("div")?;
            head.set_class_name("site-head");
            let name = self.document.create_element("span")?;
            name.set_text_content(Some(&site));
            let forget = self.document.create_element("button")?;
            forget.set_attribute("type", "button")?;
            let label = platform::message("optionsForget", &[]);
            forget.set_text_content(Some(&label));
            forget.set_attribute("aria-label", &format!("{label} {site}"))?;
            let (page, forget_site) = (self.clone(), site.clone());
            EventListener::new(&forget, "click", move |_| {
                let (page, site) = (page.clone(), forget_site.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let reply = page.bridge.request(ToBackground::ForgetSite { site }).await;
                    page.apply(reply, "form-status", None);
                });
            })
            .forget();
            let options = serde_json::from_value::<SiteOptions>(
                settings["siteOptions"][site.as_str()].clone(),
            )
            .unwrap_or_default();
            let editor = SiteEditor::build(self, index, &site, &options.to_text())?;
            head.append_child(&name)?;
            head.append_child(&forget)?;
            let (contacts, count) =
                super::options_contacts::build(&self.document, &self.bridge, index, &site)?;
            counts.push((count, site.clone()));
            item.append_child(&head)?;
            item.append_child(&contacts)?;
            item.append_child(&editor)?;
            list.append_child(&item)?;
        }
        show_counts(&self.bridge, counts);
        Ok(())
    }

    /// The form's values, in the settings' JSON layout (only the fields the form shows).
    fn form_values(&self) -> Value {
        let mut settings = serde_json::json!({});
        for (id, key) in WIDGET_FIELDS {
            if let Some(input) = self.input(id) {
                settings["widget"][key] = Value::from(input.value().trim());
            }
        }
        for name in SERVICES {
            if let Some(input) = self.service(name) {
                settings["services"][name] = Value::from(input.checked());
            }
        }
        for name in WIDGET_FLAGS {
            if let Some(input) = self.service(name) {
                settings["widget"][name] = Value::from(input.checked());
            }
        }
        if let Some(select) = self.select("default-call-with") {
            settings["widget"]["defaultCallWith"] = match select.value().as_str() {
                "" => Value::Null,
                way => Value::from(way),
            };
        }
        for name in WIDGET_TOGGLES {
            if let Some(input) = self.service(name) {
                settings["widgetToggles"][name] = Value::from(input.checked());
            }
        }
        if let Some(own) = self.text_area("own-numbers") {
            let value = own.value();
            let lines: Vec<Value> = value
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(Value::from)
                .collect();
            settings["ownNumbers"] = Value::Array(lines);
        }
        if let Some(rate) = self.input("import-rate") {
            // Unreadable or empty: a value the settings refuse, naming the field.
            let pages = rate.value().trim().replace(',', ".").parse::<f64>();
            settings["importRequestsPerSecond"] = Value::from(pages.unwrap_or(-1.0));
        }
        if let Some(region) = self.input("default-region") {
            let code = region.value().trim().to_ascii_uppercase();
            settings["defaultRegion"] = if code.is_empty() {
                Value::Null
            } else {
                Value::from(code)
            };
        }
        settings
    }

    /// Downloads the stored settings as `crm-bridge-settings.json`: without secrets unless
    /// the user ticked "Include secrets" (importing such a file keeps the secrets in place), and
    /// says which it was.
    fn export(&self) -> Result<(), JsValue> {
        let js = |e: String| JsValue::from_str(&e);
        let with_secrets = self
            .input("export-secrets")
            .is_some_and(|input| input.checked());
        let settings = Settings::from_json(&self.settings.borrow().to_string())
            .map_err(|e| js(e.to_string()))?;
        let settings = match with_secrets {
            true => settings,
            false => crate::settings::secrets::without_credentials(&settings),
        };
        let text = serde_json::to_string_pretty(&settings).map_err(|e| js(e.to_string()))?;
        super::options_ui::download(
            &self.document,
            &text,
            "application/json",
            "crm-bridge-settings.json",
        )?;
        let said = match with_secrets {
            true => "optionsExportedWithSecrets",
            false => "optionsExportedWithoutSecrets",
        };
        self.say("file-status", !with_secrets, &platform::message(said, &[]));
        Ok(())
    }
}

/// One site's do-not-contact list and call-log form, edited as text in a disclosure under the
/// site's row and saved on their own (the core refuses them whole, naming the wrong line).
struct SiteEditor;

impl SiteEditor {
    fn build(
        page: &Rc<OptionsPage>,
        index: usize,
        site: &str,
        text: &SiteOptionsText,
    ) -> Result<Element, JsValue> {
        let doc = &page.document;
        let details = doc.create_element("details")?;
        let summary = doc.create_element("summary")?;
        summary.set_text_content(Some(&platform::message("optionsSiteLists", &[])));
        details.append_child(&summary)?;
        if !text.do_not_contact.is_empty() || !text.log_form.is_empty() {
            details.set_attribute("open", "")?;
        }

        let country = Self::country_field(page, &details, index, &text.country)?;
        let dnc = Self::text_area(
            page,
            &details,
            &format!("dnc-{index}"),
            &platform::message("optionsDoNotContact", &[]),
            &platform::message("optionsDoNotContactHelp", &[]),
            &text.do_not_contact,
        )?;
        let restrict_label = doc.create_element("label")?;
        restrict_label.set_class_name("check");
        let restrict: HtmlInputElement = doc.create_element("input")?.dyn_into()?;
        restrict.set_type("checkbox");
        restrict.set_id(&format!("restrict-{index}"));
        restrict.set_checked(text.restrict);
        let restrict_text = doc.create_element("span")?;
        restrict_text.set_text_content(Some(&platform::message("optionsRestrict", &[])));
        restrict_label.append_child(&restrict)?;
        restrict_label.append_child(&restrict_text)?;
        details.append_child(&restrict_label)?;
        let form = Self::text_area(
            page,
            &details,
            &format!("log-form-{index}"),
            &platform::message("optionsLogForm", &[]),
            &platform::message("optionsLogFormHelp", &[]),
            &text.log_form,
        )?;
        let recipe = Self::text_area(
            page,
            &details,
            &format!("recipe-{index}"),
            &platform::message("optionsRecipe", &[]),
            &platform::message("optionsRecipeHelp", &[]),
            &text.recipe,
        )?;
        super::options_recipe_preview::build(doc, &details, &page.bridge, index, site, &recipe)?;
        let keep_only = Self::text_area(
            page,
            &details,
            &format!("keep-only-{index}"),
            &platform::message("optionsKeepOnly", &[]),
            &platform::message("optionsKeepOnlyHelp", &[]),
            &text.keep_only,
        )?;
        let webhook = WebhookFields::build(doc, &details, index, &text.webhook)?;

        let row = doc.create_element("div")?;
        row.set_class_name("actions");
        let save = doc.create_element("button")?;
        save.set_attribute("type", "button")?;
        save.set_id(&format!("save-site-{index}"));
        let label = platform::message("optionsSaveSite", &[]);
        save.set_text_content(Some(&label));
        save.set_attribute("aria-label", &format!("{label} {site}"))?;
        let status = status_line(doc, &format!("site-status-{index}"))?;
        row.append_child(&save)?;
        row.append_child(&status)?;
        details.append_child(&row)?;

        let (page, site) = (page.clone(), site.to_owned());
        EventListener::new(&save, "click", move |_| {
            let options = SiteOptionsText {
                do_not_contact: dnc.value(),
                restrict: restrict.checked(),
                log_form: form.value(),
                recipe: recipe.value(),
                webhook: webhook.value(),
                keep_only: keep_only.value(),
                country: country.value(),
            };
            // Inside the click, before any await: the browser needs the user's gesture.
            let asked = webhook.ask_permission();
            let (page, site, status, dnc, form, recipe, keep_only, webhook, country) = (
                page.clone(),
                site.clone(),
                status.clone(),
                dnc.clone(),
                form.clone(),
                recipe.clone(),
                keep_only.clone(),
                webhook.clone(),
                country.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(asked) = asked {
                    let granted = match asked {
                        Ok(promise) => {
                            wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&promise))
                                .await
                                .is_ok_and(|v| v.as_bool() == Some(true))
                        }
                        Err(_) => false,
                    };
                    if !granted {
                        webhook.mark_invalid(true);
                        let text = platform::message("optionsWebhookDenied", &[]);
                        return say(&status, false, &text);
                    }
                }
                let reply = page
                    .bridge
                    .request(ToBackground::SaveSiteOptions {
                        site: site.clone(),
                        options,
                    })
                    .await;
                let say = |ok: bool, text: &str| say(&status, ok, text);
                match reply {
                    Ok(Reply::Settings { settings }) => {
                        // Show the lists as stored (duplicates dropped, the note field implied).
                        let stored = serde_json::from_value::<SiteOptions>(
                            settings["siteOptions"][site.as_str()].clone(),
                        )
                        .unwrap_or_default()
                        .to_text();
                        dnc.set_value(&stored.do_not_contact);
                        form.set_value(&stored.log_form);
                        recipe.set_value(&stored.recipe);
                        keep_only.set_value(&stored.keep_only);
                        country.set_value(&stored.country);
                        let _ = country.remove_attribute("aria-invalid");
                        webhook.show(&stored.webhook);
                        webhook.mark_invalid(false);
                        for area in [&dnc, &form, &recipe, &keep_only] {
                            mark_invalid(area, false);
                        }
                        *page.settings.borrow_mut() = settings;
                        say(true, &platform::message("optionsSaved", &[]));
                    }
                    Ok(Reply::Error { message }) => {
                        webhook.mark_invalid(message.starts_with("webhook"));
                        if message.starts_with("country") {
                            let _ = country.set_attribute("aria-invalid", "true");
                            say(false, &platform::message("optionsRefused", &[&message]));
                            return;
                        }
                        let wrong = if message.starts_with("call-log") {
                            &form
                        } else if message.starts_with("recipe") {
                            &recipe
                        } else if message.starts_with("keep only") {
                            &keep_only
                        } else {
                            &dnc
                        };
                        mark_invalid(wrong, true);
                        say(false, &platform::message("optionsRefused", &[&message]));
                    }
                    other => say(false, &format!("{other:?}")),
                }
            });
        })
        .forget();
        Ok(details)
    }

    /// The site's country of numbers written without one: two letters, like the default's.
    fn country_field(
        page: &OptionsPage,
        parent: &Element,
        index: usize,
        value: &str,
    ) -> Result<HtmlInputElement, JsValue> {
        let doc = &page.document;
        let id = format!("site-country-{index}");
        let label = doc.create_element("label")?;
        label.set_attribute("for", &id)?;
        label.set_text_content(Some(&platform::message("optionsSiteCountry", &[])));
        let input: HtmlInputElement = doc.create_element("input")?.dyn_into()?;
        input.set_id(&id);
        input.set_max_length(2);
        input.set_class_name("short");
        input.set_attribute("autocomplete", "off")?;
        input.set_attribute("spellcheck", "false")?;
        input.set_attribute("aria-describedby", &format!("{id}-help"))?;
        input.set_value(value);
        let help = doc.create_element("p")?;
        help.set_id(&format!("{id}-help"));
        help.set_class_name("help");
        help.set_text_content(Some(&platform::message("optionsSiteCountryHelp", &[])));
        parent.append_child(&label)?;
        parent.append_child(&input)?;
        parent.append_child(&help)?;
        Ok(input)
    }

    /// A labelled textarea with help text, appended to `parent`.
    fn text_area(
        page: &OptionsPage,
        parent: &Element,
        id: &str,
        label_text: &str,
        help_text: &str,
        value: &str,
    ) -> Result<HtmlTextAreaElement, JsValue> {
        let doc = &page.document;
        let label = doc.create_element("label")?;
        label.set_attribute("for", id)?;
        label.set_text_content(Some(label_text));
        let area: HtmlTextAreaElement = doc.create_element("textarea")?.dyn_into()?;
        area.set_id(id);
        area.set_rows(4);
        area.set_attribute("spellcheck", "false")?;
        area.set_attribute("aria-describedby", &format!("{id}-help"))?;
        area.set_value(value);
        let help = doc.create_element("p")?;
        help.set_id(&format!("{id}-help"));
        help.set_class_name("help");
        help.set_text_content(Some(help_text));
        parent.append_child(&label)?;
        parent.append_child(&area)?;
        parent.append_child(&help)?;
        Ok(area)
    }
}
