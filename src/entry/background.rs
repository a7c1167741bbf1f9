//! Background entry (Chrome service worker, Firefox event page): hands browser events to the
//! core and posts back what it answers.
//!
//! The loader (`extension/background.js`) registers the browser listeners synchronously, as MV3
//! requires for a worker woken by an event, and forwards them here once the Wasm is ready.

use super::stored_settings::{load_settings, SETTINGS_KEY};

/// `storage.session` key of the admitted widget hosts' passes (pass → tab).
const PASSES_KEY: &str = "widgetPasses";
/// `storage.session` key of the phone's last announced login state.
const PHONE_LOGIN_KEY: &str = "phoneLogin";
use super::bulk_import::{Importer, IMPORT_ALARM};
use super::census::CensusKeeper;
use super::delivery::{Courier, OUTBOX_ALARM};
use super::errors;
use super::synced_settings;
use crate::background::kept_pages::KeptPages;
use crate::background::{
    Answered, BackgroundCore, Caller, CallerKind, Environment, CONTACTS_PAGE_SIZE,
    CONTACTS_TAB_LIMIT,
};
use crate::platform::{self, Port};
use crate::protocol::bridge::{
    decode_envelope, FromBackground, Reply, ToBackground, ToContentScript,
};
use crate::protocol::commands::WidgetCommand;
use crate::protocol::widget::WidgetMessage;
use crate::service::Effect;
use crate::settings::{Settings, ALL_SITES_PATTERNS};
use crate::sites::SitePattern;
use crate::store::contacts::StoreContacts;
use crate::store::journal::StoreJournal;
use crate::store::DATABASE_NAME;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Id of our dynamic content-script registration (one registration covers every enabled site).
const SITES_SCRIPT_ID: &str = "crm-bridge-sites";
/// Id of the all-sites mode's registration.
const ALL_SITES_SCRIPT_ID: &str = "crm-bridge-all-sites";

/// The core as the extension runs it: contacts and the journal in IndexedDB.
pub(super) type Core = BackgroundCore<StoreContacts, StoreJournal>;

/// After contacts change, open widgets are asked to re-sync once this quiet time has passed
/// (an import or a page full of contacts is many writes, one re-sync).
const RESYNC_DEBOUNCE_MS: u32 = 300;

/// The running background: the core plus what ties it to ports.
#[wasm_bindgen]
pub struct Background {
    core: Rc<Core>,
    hosts: Rc<Hosts>,
}

/// The open ports, so the background can tell admitted widget hosts something unasked; and
/// the courier that sends the log outbox.
#[derive(Default)]
struct Hosts {
    ports: RefCell<Vec<(Port, Rc<Caller>)>>,
    resync_scheduled: Cell<bool>,
    courier: Rc<Courier>,
    importer: Rc<Importer>,
    /// Each tab's last page evidence, patched by the walker's rescans.
    pages: RefCell<KeptPages>,
    /// What the store held, kept outside it.
    census: Rc<CensusKeeper>,
}

impl Hosts {
    /// Asks every admitted widget host's widget to re-sync contacts, once per quiet period.
    fn schedule_resync(self: &Rc<Self>) {
        if self.resync_scheduled.replace(true) {
            return;
        }
        let hosts = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(RESYNC_DEBOUNCE_MS).await;
            hosts.resync_scheduled.set(false);
            hosts.push_to_widgets(vec![WidgetCommand::SyncContacts.to_message()]);
        });
    }

    /// Posts these commands into the widget of every admitted widget host.
    fn push_to_widgets(&self, messages: Vec<serde_json::Value>) {
        let push = FromBackground::Push {
            reply: Reply::ToWidget {
                messages: messages.into_iter().map(WidgetMessage::from).collect(),
            },
        };
        for (port, caller) in self.ports.borrow().iter() {
            if caller.is_admitted() {
                post(port, &push, false);
            }
        }
    }
}

/// Builds the background once the Wasm is instantiated; `script_start_ms` is the loader's
/// `performance.now()` at its first line, for the cold-start figure.
#[wasm_bindgen]
pub fn start_background(script_start_ms: f64) -> Background {
    let environment = Environment {
        now_ms: Box::new(platform::now_ms),
        random_token: Box::new(platform::random_token),
        wall_clock_ms: Box::new(js_sys::Date::now),
        memory_bytes: Box::new(|| {
            let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
            let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
            f64::from(buffer.byte_length())
        }),
    };
    let contacts = StoreContacts::new(DATABASE_NAME, CONTACTS_PAGE_SIZE)
        .with_full_sync_limit(CONTACTS_TAB_LIMIT);
    let core = Rc::new(BackgroundCore::with_stores(
        script_start_ms,
        platform::now_ms(),
        environment,
        contacts,
        StoreJournal::new(DATABASE_NAME),
    ));
    let hosts = Rc::new(Hosts::default());
    // Open the store while the first port connects, not when the widget first asks, and
    // compare it with what it held when the last worker counted it.
    let opening = core.clone();
    let census = hosts.census.clone();
    wasm_bindgen_futures::spawn_local(async move {
        errors::restore(&opening).await;
        match opening.router().contacts().database().await {
            Ok(_) => census.check(&opening).await,
            Err(err) => errors::report(&opening, &format!("contact store: {err}")),
        }
    });
    let banner_hosts = Rc::downgrade(&hosts);
    let banner_core = Rc::downgrade(&core);
    hosts.courier.on_banner(move |command| {
        if let Some(hosts) = banner_hosts.upgrade() {
            hosts.push_to_widgets(vec![command]);
            if let Some(core) = banner_core.upgrade() {
                hosts.census.soon(&core); // deliveries left the outbox
            }
        }
    });
    let resync_hosts = Rc::downgrade(&hosts);
    hosts.importer.on_contacts_changed(move || {
        if let Some(hosts) = resync_hosts.upgrade() {
            hosts.schedule_resync();
        }
    });
    // Whatever woke the worker, deliveries that came due while it slept go out now, and a
    // bulk import carries on.
    hosts.courier.kick(&core);
    hosts.importer.restore(&core);
    Background { core, hosts }
}

#[wasm_bindgen]
impl Background {
    /// Takes over a port from `runtime.onConnect`. Only our own extension pages may talk to the
    /// background this way: the browser fills `sender`, so a content script or another
    /// extension cannot pretend to be the widget host.
    pub fn connect(&self, port: Port) {
        let own_pages = platform::extension_url("");
        match platform::port_sender_url(&port) {
            Some(url) if !own_pages.is_empty() && url.starts_with(&own_pages) => {}
            _ => {
                port.disconnect();
                return;
            }
        }
        let core = self.core.clone();
        let hosts = self.hosts.clone();
        let reply_port = port.clone();
        // Admission (see background::tickets) belongs to this port and dies with it.
        let sender = port.sender();
        let caller = Rc::new(
            Caller::new(CallerKind::ExtensionPage, platform::sender_tab_id(&sender))
                .in_frame(platform::sender_frame_id(&sender)),
        );
        self.hosts
            .ports
            .borrow_mut()
            .push((port.clone(), caller.clone()));
        let gone = caller.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
            // Our pages send JSON text (one string crosses the port, not an object tree that
            // both ends must convert), and get text back; tests may send objects.
            let as_text = message.as_string();
            let in_text = as_text.is_some();
            let Some(text) = as_text.or_else(|| platform::to_json(&message)) else {
                return;
            };
            let core = core.clone();
            let hosts = hosts.clone();
            let port = reply_port.clone();
            let caller = caller.clone();
            let arrived = platform::now_ms();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(answer) = answer_after_effects(&core, &hosts, &text, &caller).await {
                    post(&port, &answer, in_text);
                    core.note_busy(platform::now_ms() - arrived);
                }
                hosts.census.soon(&core);
            });
        });
        port.on_message()
            .add_listener(on_message.as_ref().unchecked_ref());
        // The message listener lives exactly as long as the port.
        let hosts = self.hosts.clone();
        let release = Closure::once_into_js(move || {
            drop(on_message);
            hosts
                .ports
                .borrow_mut()
                .retain(|(_, caller)| !Rc::ptr_eq(caller, &gone));
        });
        port.on_disconnect().add_listener(release.unchecked_ref());
        // Settings (registration is built from them) and the passes of admitted hosts (a
        // host reconnecting after a worker stop resumes with one) first, then `ready`.
        let core = self.core.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let generation = core.settings_generation();
            let (settings, problem) = load_settings().await;
            if let Some(problem) = problem {
                errors::report(&core, &problem);
            }
            core.set_loaded_settings(generation, settings);
            match platform::storage_session_get(PASSES_KEY).await {
                Ok(Some(text)) => {
                    core.restore_passes(serde_json::from_str(&text).unwrap_or_default())
                }
                Ok(None) => {}
                Err(err) => errors::report(&core, &format!("cannot read admitted hosts: {err:?}")),
            }
            if let Ok(Some(text)) = platform::storage_session_get(PHONE_LOGIN_KEY).await {
                core.restore_phone_login(&text);
            }
            super::bulk_import::restore_job(&core).await; // the popup asks about it
            post(&port, &core.ready(), false);
        });
    }
}

#[wasm_bindgen]
impl Background {
    /// `storage.onChanged` for the sync area's settings: another browser of the user changed
    /// the user-level settings.
    pub fn synced_settings_changed(&self) {
        let core = self.core.clone();
        wasm_bindgen_futures::spawn_local(async move { synced_settings::take_over(&core).await });
    }

    /// `alarms.onAlarm`: the outbox alarm sends the deliveries that came due.
    pub fn alarm(&self, name: String) {
        if name == OUTBOX_ALARM {
            self.hosts.courier.kick(&self.core);
        }
        if name == IMPORT_ALARM {
            self.hosts.importer.run(&self.core);
        }
    }

    /// A one-off message from `runtime.onMessage`: only our content scripts, in a tab of an
    /// enabled site, may ask (to vouch for their widget host, or to read a page's evidence); everything
    /// else is refused.
    pub fn message(&self, message: JsValue, sender: JsValue) -> js_sys::Promise {
        let core = self.core.clone();
        let hosts = self.hosts.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let text = platform::to_json(&message).unwrap_or_default();
            let Ok(envelope) = decode_envelope(&text) else {
                return Err(JsValue::from_str("unreadable message"));
            };
            let generation = core.settings_generation();
            let (settings, _) = load_settings().await;
            core.set_loaded_settings(generation, settings);
            let settings = core.settings(); // the loaded ones, or newer ones a save set meanwhile
            let page = platform::sender_url(&sender).unwrap_or_default();
            let sender_tab = platform::sender_tab_id(&sender);
            let from_enabled_site = platform::sender_is_own(&sender)
                && sender_tab.is_some()
                && settings.enables_url(&page);
            // Set whenever `from_enabled_site` is.
            let tab = sender_tab.unwrap_or_default();
            let reply = match envelope.body {
                request @ ToBackground::VouchForHost { .. } if from_enabled_site => {
                    let site = settings.site_for_url(&page).map(|site| site.to_string());
                    let caller = Caller::new(CallerKind::ContentScript, sender_tab).on_site(site);
                    core.handle(request, &caller).await.reply
                }
                ToBackground::SiteRecipe if from_enabled_site => {
                    let recipe = settings
                        .site_for_url(&page)
                        .and_then(|site| settings.recipe_of(&site).cloned());
                    Reply::Recipe { recipe }
                }
                ToBackground::PageEvidence { evidence, scan } if from_enabled_site => {
                    match scan {
                        Some(scan) => hosts.pages.borrow_mut().keep(tab, scan, &evidence),
                        None => hosts.pages.borrow_mut().forget(tab),
                    }
                    read_page(&core, &hosts, &settings, &page, evidence).await
                }
                ToBackground::PageEvidenceDelta { delta } if from_enabled_site => {
                    let patched = hosts.pages.borrow_mut().patched(tab, delta);
                    match patched {
                        Some(evidence) => {
                            read_page(&core, &hosts, &settings, &page, evidence).await
                        }
                        None => Reply::EvidenceWanted,
                    }
                }
                _ => {
                    let from = crate::url::WebUrl::parse(&page)
                        .map(|url| url.origin())
                        .unwrap_or_else(|_| "an unknown sender".into());
                    errors::note(
                        &core,
                        &format!("refused a request from {from}: crm-bridge is not on there"),
                    );
                    Reply::Error {
                        message: "not allowed from this sender".into(),
                    }
                }
            };
            errors::report_store_faults(&core);
            hosts.census.soon(&core);
            let answer = FromBackground::Reply {
                id: envelope.id,
                reply,
            };
            serde_json::to_string(&answer)
                .map_err(|e| JsValue::from_str(&e.to_string()))
                .and_then(|text| platform::from_json(&text))
        })
    }
}

/// Posts `message` on a port, as JSON text (`as_text`, for pages that send text) or as an object.
fn post(port: &Port, message: &impl serde::Serialize, as_text: bool) {
    let sent = serde_json::to_string(message)
        .map_err(|err| JsValue::from_str(&err.to_string()))
        .and_then(|text| match as_text {
            true => Ok(JsValue::from_str(&text)),
            false => platform::from_json(&text),
        })
        .and_then(|value| port.post_message(&value));
    match sent {
        Ok(()) => {}
        // The page closed while its request was being handled (the work itself is done and
        // kept, e.g. a log is durable): nobody is left to answer, which is no error.
        Err(err) if format!("{err:?}").contains("disconnected port") => {
            platform::log_debug("a page closed before its answer was ready")
        }
        Err(err) => platform::log_error(&format!("could not answer on a port: {err:?}")),
    }
}

/// Reads a page's evidence with the discovery module and stores what it found for the site
/// of `sender` (the sender's tab). The evidence must describe that same site: a page cannot
/// file contacts under another site by naming its URL.
async fn read_page(
    core: &Rc<Core>,
    hosts: &Rc<Hosts>,
    settings: &Settings,
    sender: &str,
    evidence: crate::protocol::evidence::PageEvidence,
) -> Reply {
    let error = |message: String| Reply::Error { message };
    if settings.site_for_url(&evidence.url) != settings.site_for_url(sender) {
        return error("the evidence describes another site than its tab".into());
    }
    // The address the view had when it was read: a single-page app rewrites it as the user
    // moves (pushState, hash routes) while the sender's stays the one the tab opened with, and
    // the popup asks by the tab's address now.
    let page = evidence.url.clone();
    let page = page.as_str();
    if let Some(quiet_ms) = core.page_quiet_for_ms(page) {
        return Reply::Discovered {
            found: 0,
            summary: Default::default(),
            elapsed_ms: 0.0,
            truncated: None,
            held_back_for_ms: Some(quiet_ms),
        };
    }
    let started = platform::now_ms();
    let found = super::discovery_client::discover(&evidence, settings.region_for_url(page)).await;
    let elapsed_ms = platform::now_ms() - started;
    let super::discovery_client::Found {
        contacts,
        truncated,
        unplaced,
        left_out,
    } = match found {
        Ok(found) => found,
        Err(err) => return error(err),
    };
    let count = contacts.len();
    let notes = crate::background::PageNotes {
        truncated: truncated.clone(),
        unplaced,
        left_out,
        pager: evidence.pager.clone(),
        more_rows: evidence.more_rows,
    };
    match core.store_discovered(page, contacts, notes).await {
        Ok((summary, effects)) => {
            for effect in effects {
                if let Err(err) = carry_out(core, hosts, effect).await {
                    errors::report(core, &err);
                }
            }
            Reply::Discovered {
                found: count,
                summary,
                elapsed_ms,
                truncated,
                held_back_for_ms: core.page_quiet_for_ms(page),
            }
        }
        Err(err) => error(err),
    }
}

/// Handles one request and carries out its effects in order before answering, so the asker
/// sees the final state. A failed permission check or settings write stops the rest and turns
/// the answer into an error; other failures are logged.
async fn answer_after_effects(
    core: &Rc<Core>,
    hosts: &Rc<Hosts>,
    text: &str,
    caller: &Caller,
) -> Option<FromBackground> {
    // The settings turn, when the request changes settings, is held until its effects are
    // carried out (dropped on return).
    let Answered {
        mut answer,
        effects,
        turn: _turn,
    } = core.handle_text(text, caller).await?;
    errors::report_store_faults(core);
    for effect in effects {
        // The one effect whose outcome is the answer.
        if let Effect::PreviewRecipe { pattern, recipe } = effect {
            let previewed =
                super::recipe_preview::preview(&core.settings(), &pattern, recipe).await;
            if let FromBackground::Reply { reply, .. } = &mut answer {
                *reply = previewed;
            }
            continue;
        }
        let must_succeed = matches!(
            effect,
            Effect::RequirePermission(_) | Effect::SaveSettings(_)
        );
        if let Err(err) = carry_out(core, hosts, effect).await {
            if !must_succeed {
                errors::report(core, &err);
                continue;
            }
            let FromBackground::Reply { id, .. } = answer else {
                return Some(answer);
            };
            return Some(FromBackground::Reply {
                id,
                reply: Reply::Error { message: err },
            });
        }
    }
    Some(answer)
}

/// Does one thing a handler asked for besides its answer.
async fn carry_out(core: &Rc<Core>, hosts: &Rc<Hosts>, effect: Effect) -> Result<(), String> {
    let js = |err: JsValue| format!("{err:?}");
    let value = |json: serde_json::Value| platform::from_json(&json.to_string()).map_err(js);
    match effect {
        Effect::OpenUrl(url) => {
            let options = value(json!({ "url": url, "active": true }))?;
            platform::call_async(&["tabs", "create"], &[options])
                .await
                .map(drop)
                .map_err(js)
        }
        Effect::OpenOptions => platform::call_async(&["runtime", "openOptionsPage"], &[])
            .await
            .map(drop)
            .map_err(js),
        // Posted by the widget host together with the answer.
        Effect::PostToWidget(_) => Ok(()),
        // Applied to the settings as they are when this request's turn comes, never to the
        // ones it saw when it arrived (a site switched off meanwhile stays off).
        Effect::SaveWidgetToggles(values) => {
            let _turn = core.settings_turn().await;
            save_settings(core, core.settings_with_widget_toggles(values)).await
        }
        Effect::KeepPhoneLogin(text) => platform::storage_session_set(PHONE_LOGIN_KEY, &text)
            .await
            .map_err(js),
        Effect::KeepErrors(text) => {
            errors::keep(text);
            Ok(())
        }
        Effect::KeepPasses(passes) => {
            let text = serde_json::to_string(&passes).map_err(|e| e.to_string())?;
            platform::storage_session_set(PASSES_KEY, &text)
                .await
                .map_err(js)
        }
        Effect::RequirePermission(pattern) => {
            let query = value(json!({ "origins": [pattern] }))?;
            let granted = platform::call_async(&["permissions", "contains"], &[query])
                .await
                .map_err(js)?;
            if granted.as_bool() == Some(true) {
                Ok(())
            } else {
                Err(format!("the browser has not given crm-bridge access to {pattern}; switch the site on again and allow access"))
            }
        }
        // In the settings turn of the request that computed them.
        Effect::SaveSettings(settings) => save_settings(core, *settings).await,
        Effect::RegisterSites => reconcile_content_scripts(&core.settings())
            .await
            .map_err(js),
        Effect::InjectWidget(pattern) => {
            // Only into tabs crm-bridge is on for (the all-sites mode's patterns match its
            // exceptions too); a tab that has the widget already ignores a second injection.
            let settings = core.settings();
            for tab in platform::tabs_matching(&pattern)
                .await
                .map_err(js)?
                .into_iter()
                .filter(|tab| {
                    tab.url
                        .as_deref()
                        .is_some_and(|url| settings.enables_url(url))
                })
            {
                let target = value(
                    json!({ "target": { "tabId": tab.id as i64 }, "files": ["content.js", "discover.js"] }),
                )?;
                platform::call_async(&["scripting", "executeScript"], &[target])
                    .await
                    .map_err(js)?;
            }
            Ok(())
        }
        Effect::RemoveWidget(pattern) => {
            // Tabs still on through another listed site or the all-sites mode keep it.
            let settings = core.settings();
            for tab in platform::tabs_matching(&pattern)
                .await
                .map_err(js)?
                .into_iter()
                .filter(|tab| {
                    !tab.url
                        .as_deref()
                        .is_some_and(|url| settings.enables_url(url))
                })
            {
                // A tab without our content script has nobody listening: nothing to remove.
                let _ = platform::send_to_tab(tab.id, &ToContentScript::RemoveWidget).await;
            }
            Ok(())
        }
        Effect::OpenPhoneWindow { ticket } => open_phone_window(&ticket).await,
        // Answered in `answer_after_effects`.
        Effect::PreviewRecipe { .. } => Ok(()),
        Effect::ContactsChanged => {
            hosts.schedule_resync();
            Ok(())
        }
        Effect::DeliverLogs => {
            hosts.courier.kick(core);
            Ok(())
        }
        Effect::KeepImport(text) => {
            platform::storage_local_set(super::bulk_import::IMPORT_KEY, &text)
                .await
                .map_err(js)
        }
        Effect::RunImport => {
            hosts.importer.run(core);
            Ok(())
        }
        Effect::ReleasePermission(pattern) => {
            let origins = value(json!({ "origins": [pattern] }))?;
            // Permissions declared at install (development copies) cannot be removed: fine.
            let _ = platform::call_async(&["permissions", "remove"], &[origins]).await;
            Ok(())
        }
    }
}

/// `storage.session` key of the phone window's id (one phone window per browser session).
const PHONE_WINDOW_KEY: &str = "phoneWindow";

/// Focuses the phone window, or opens one whose widget host is admitted with `ticket`.
async fn open_phone_window(ticket: &str) -> Result<(), String> {
    let js = |err: JsValue| format!("{err:?}");
    if let Ok(Some(id)) = platform::storage_session_get(PHONE_WINDOW_KEY).await {
        if let Ok(id) = id.parse::<f64>() {
            let focus = platform::from_json(r#"{"focused":true}"#).map_err(js)?;
            let focused =
                platform::call_async(&["windows", "update"], &[JsValue::from_f64(id), focus]).await;
            if focused.is_ok() {
                return Ok(()); // still open
            }
        }
    }
    let url = platform::extension_url(&format!("widget.html?placement=window#ticket={ticket}"));
    let options = json!({ "url": url, "type": "popup", "width": 360, "height": 640 });
    let created = platform::call_async(
        &["windows", "create"],
        &[platform::from_json(&options.to_string()).map_err(js)?],
    )
    .await
    .map_err(js)?;
    if let Some(id) = platform::number_field(&created, "id") {
        platform::storage_session_set(PHONE_WINDOW_KEY, &id.to_string())
            .await
            .map_err(js)?;
    }
    Ok(())
}

/// Stores `settings` and uses them from now on; the caller holds the settings turn.
async fn save_settings(core: &Rc<Core>, settings: Settings) -> Result<(), String> {
    let text = serde_json::to_string(&settings).map_err(|e| e.to_string())?;
    core.settings_write_started();
    platform::storage_local_set(SETTINGS_KEY, &text)
        .await
        .map_err(|err| format!("{err:?}"))?;
    let synced_before = core.settings().synced();
    synced_settings::keep(core, &synced_before, &settings);
    core.set_settings(settings);
    Ok(())
}

/// `runtime.onInstalled`: applies a packaged preset (admin or test copy) when no settings
/// exist yet, then registers the content script for the enabled sites.
#[wasm_bindgen]
pub async fn on_installed() -> Result<(), JsValue> {
    let stored = platform::storage_local_get(SETTINGS_KEY).await?;
    if stored.is_none() {
        let preset = platform::fetch_text(&platform::extension_url("preset.json"))
            .await
            .ok()
            .flatten();
        let first = match preset {
            Some(preset) => match Settings::from_json(&preset) {
                Ok(settings) => Some(settings),
                Err(err) => {
                    platform::log_error(&format!("preset.json ignored: {err}"));
                    None
                }
            },
            // A new browser of a user who set crm-bridge up elsewhere: their phone settings.
            None => synced_settings::from_other_browsers().await,
        };
        if let Some(settings) = first {
            let text =
                serde_json::to_string(&settings).map_err(|e| JsValue::from_str(&e.to_string()))?;
            platform::storage_local_set(SETTINGS_KEY, &text).await?;
        }
    }
    reconcile_stored_sites().await
}

/// `runtime.onStartup`: registrations persist, but permissions may have been revoked meanwhile.
#[wasm_bindgen]
pub async fn on_startup() -> Result<(), JsValue> {
    reconcile_stored_sites().await
}

/// Reconciles the registration with the settings in storage (no core is at hand in these events).
async fn reconcile_stored_sites() -> Result<(), JsValue> {
    let (settings, problem) = load_settings().await;
    if let Some(problem) = problem {
        platform::log_error(&problem);
    }
    reconcile_content_scripts(&settings).await
}

/// Makes the registered content scripts cover exactly the enabled sites we hold access to:
/// one registration for the listed sites, one for the all-sites mode (every http(s) page
/// except its exceptions and the listed sites, which the first one covers).
async fn reconcile_content_scripts(settings: &Settings) -> Result<(), JsValue> {
    let mut granted = Vec::new();
    for pattern in settings.site_match_patterns() {
        if holds_access(&[pattern.as_str()]).await? {
            granted.push(pattern);
        }
    }
    let everywhere = settings.all_sites.on && holds_access(&ALL_SITES_PATTERNS).await?;
    let ids = json!({ "ids": [SITES_SCRIPT_ID, ALL_SITES_SCRIPT_ID] }).to_string();
    let existing = platform::call_async(
        &["scripting", "getRegisteredContentScripts"],
        &[platform::from_json(&ids)?],
    )
    .await?;
    let existing: Vec<String> = js_sys::Array::from(&existing)
        .iter()
        .filter_map(|script| {
            js_sys::Reflect::get(&script, &"id".into())
                .ok()?
                .as_string()
        })
        .collect();
    if !existing.is_empty() {
        let ids = platform::from_json(&json!({ "ids": existing }).to_string())?;
        platform::call_async(&["scripting", "unregisterContentScripts"], &[ids]).await?;
    }
    let script = |id: &str, matches: Vec<String>, exclude: Vec<String>| {
        json!({
            "id": id,
            "matches": matches,
            "excludeMatches": exclude,
            "js": ["content.js", "discover.js"],
            "runAt": "document_idle",
            "allFrames": false,
            "persistAcrossSessions": true,
        })
    };
    let mut scripts = Vec::new();
    if !granted.is_empty() {
        scripts.push(script(SITES_SCRIPT_ID, granted.clone(), Vec::new()));
    }
    if everywhere {
        let mut exclude: Vec<String> = settings
            .all_sites
            .except
            .iter()
            .map(SitePattern::match_pattern)
            .collect();
        exclude.extend(granted);
        let all = ALL_SITES_PATTERNS.map(String::from).to_vec();
        scripts.push(script(ALL_SITES_SCRIPT_ID, all, exclude));
    }
    if scripts.is_empty() {
        return Ok(());
    }
    platform::call_async(
        &["scripting", "registerContentScripts"],
        &[platform::from_json(
            &serde_json::Value::from(scripts).to_string(),
        )?],
    )
    .await?;
    Ok(())
}

/// Whether the browser gave crm-bridge access to all of these match patterns.
async fn holds_access(patterns: &[&str]) -> Result<bool, JsValue> {
    let query = platform::from_json(&json!({ "origins": patterns }).to_string())?;
    Ok(platform::call_async(&["permissions", "contains"], &[query])
        .await?
        .as_bool()
        .unwrap_or(false))
}
