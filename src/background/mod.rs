//! The background worker's brain: one router from [`ToBackground`] requests to replies, with
//! widget service requests handed to the [`ServiceRouter`].
//!
//! It holds no browser handles; `entry::background` feeds it decoded envelopes, posts what it
//! returns and carries out the [`Effect`]s, so every rule here is tested natively.

use crate::bulk_import::pagination::{last_page, next_page};
use crate::contacts::explain::explain;
use crate::contacts::number_key::NumberKey;
use crate::contacts::Contact;
use crate::diagnostics::{About, RecentErrors};
use crate::logging::journal_import::check_entries;
use crate::protocol::bridge::{
    decode_envelope, FromBackground, Reply, SiteStatus, ToBackground, WorkerTimings,
};
use crate::protocol::bridge::{PageReading, PhoneLogin};
use crate::protocol::events::WidgetEvent;
use crate::protocol::evidence::{LeftOut, MoreRows, Pager, Truncation, Unplaced};
use crate::protocol::widget::WidgetMessage;
use crate::service::data::{ContactSink, ContactSource, LogStore, ServiceState, WriteSummary};
use crate::service::description::{
    default_widget_settings, registration, widget_settings_items, SERVICE_NAME,
};
use crate::service::memory::{MemoryContacts, MemoryLogs, MemoryState};
use crate::service::router::PassHolder;
use crate::service::{Effect, ServiceRouter};
use crate::settings::limits::HeldBackNote;
use crate::settings::recipe::Recipe;
use crate::settings::site_options::SiteOptionsText;
use crate::settings::{AllSites, Settings, ALL_SITES_PATTERNS, SETTINGS_SCHEMA_VERSION};
use crate::sites::SitePattern;
use learning::{HeldBack, LearningGate, LearningLimits};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use tickets::{FrameRef, TicketBook};

mod admission;
pub mod imports;
pub mod kept_pages;
pub mod learning;
pub mod tickets;

/// Contacts per page of the widget's contact sync.
pub const CONTACTS_PAGE_SIZE: usize = 1_000;
/// A full sync (the widget starts one on every load, and an in-page widget loads with every
/// CRM page) gives the Contacts tab the newest this many contacts; later changes arrive as
/// deltas, and search and caller matching reach every stored contact. Measured (README
/// "Benchmarks"): a full sync of 100,000 contacts took ≈11 s, of these ≈0.6 s.
pub const CONTACTS_TAB_LIMIT: u32 = 5_000;

/// The router over the background's data: contacts from `C` and the journal in `L` (both
/// IndexedDB in the extension, in memory in tests).
pub type BackgroundRouter<C, L> = ServiceRouter<C, L, MemoryState>;

/// What handling one request produced: the reply for the page and work for the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    /// Posted back on the port.
    pub reply: Reply,
    /// Carried out by the background entry (open a tab, the options page).
    pub effects: Vec<Effect>,
}

/// What the core needs from the platform: a clock and unguessable tokens.
pub struct Environment {
    /// Milliseconds on a monotonic clock (`performance.now()` at the edge).
    pub now_ms: Box<dyn Fn() -> f64>,
    /// An unguessable token (128 random bits from `crypto.getRandomValues` at the edge).
    pub random_token: Box<dyn Fn() -> String>,
    /// Milliseconds since the epoch (`Date.now()`), for what outlives the worker (imports).
    pub wall_clock_ms: Box<dyn Fn() -> f64>,
    /// The size of the Wasm linear memory in bytes (diagnostics and the benchmark).
    pub memory_bytes: Box<dyn Fn() -> f64>,
}

impl Default for Environment {
    /// A frozen clock and counting tokens, for tests.
    fn default() -> Self {
        let counter = Cell::new(0u64);
        Self {
            now_ms: Box::new(|| 0.0),
            wall_clock_ms: Box::new(|| 1_000_000.0),
            memory_bytes: Box::new(|| 0.0),
            random_token: Box::new(move || {
                counter.set(counter.get() + 1);
                format!("test-token-{}", counter.get())
            }),
        }
    }
}

/// Who sent a request, as the browser (never the message) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// Our content script on an enabled site.
    ContentScript,
    /// One of our extension pages over a port (widget host, popup, options).
    ExtensionPage,
}

/// The sender of a request, with the admission state of its port.
#[derive(Debug)]
pub struct Caller {
    kind: CallerKind,
    tab_id: Option<i64>,
    frame_id: Option<i64>,
    admitted: Cell<bool>,
    /// The enabled site the sender is on (a content script), or the host was framed by (an
    /// admitted widget host): matching and logging prefer its contacts.
    site: RefCell<Option<String>>,
}

impl Caller {
    /// A sender of this kind in this tab (if it is in a tab).
    pub fn new(kind: CallerKind, tab_id: Option<i64>) -> Self {
        Self {
            kind,
            tab_id,
            frame_id: None,
            admitted: Cell::new(false),
            site: RefCell::new(None),
        }
    }

    /// The same sender, on a page of this enabled site.
    pub fn on_site(self, site: Option<String>) -> Self {
        *self.site.borrow_mut() = site;
        self
    }

    /// The same sender, in this frame of its tab (`runtime.MessageSender.frameId`).
    pub fn in_frame(mut self, frame_id: Option<i64>) -> Self {
        self.frame_id = frame_id;
        self
    }

    /// The tab and frame the browser says this sender is in.
    fn frame(&self) -> FrameRef {
        FrameRef {
            tab_id: self.tab_id,
            frame_id: self.frame_id,
        }
    }

    /// Whether this port presented a valid ticket.
    pub fn is_admitted(&self) -> bool {
        self.admitted.get()
    }
}

/// State of one worker instance (an MV3 service worker may be stopped and started at any time,
/// so nothing here may be the only copy of anything that matters).
pub struct BackgroundCore<C = MemoryContacts, L = MemoryLogs> {
    timings: Cell<WorkerTimings>,
    settings: RefCell<Settings>,
    /// Counts settings changes, so a read of storage that a write overtook is not applied.
    settings_generation: Cell<u64>,
    /// The settings turn: held from reading the settings to change them until the change is
    /// stored and applied (see [`Self::settings_turn`]).
    settings_lane: futures_util::lock::Mutex<()>,
    router: BackgroundRouter<C, L>,
    tickets: RefCell<TicketBook>,
    /// New contacts per site and minute, for the limits on what pages may add.
    learning: RefCell<LearningGate>,
    /// Passes of admitted widget hosts (pass → tab), kept by the edge in `storage.session` so
    /// a host stays admitted across worker restarts for the browser session.
    passes: RefCell<BTreeMap<String, PassHolder>>,
    /// What discovery last made of recent pages (URL → reading), for the popup; bounded.
    page_readings: RefCell<BTreeMap<String, PageReading>>,
    /// The phone's login as an open phone last announced it; the edge keeps it in session
    /// storage, so the popup knows it after a worker stop.
    phone_login: RefCell<Option<PhoneLogin>>,
    /// Recent errors for the diagnostics section; the edge keeps them in local storage.
    errors: RefCell<RecentErrors>,
    /// Whether the errors an earlier worker kept were read (until then nothing is written
    /// back, so they are not overwritten).
    errors_restored: Cell<bool>,
    /// The bulk import (at most one); the edge keeps it in `storage.local`.
    import: RefCell<Option<crate::bulk_import::ImportJob>>,
    /// Whether the job an earlier worker kept was read.
    import_restored: Cell<bool>,
    environment: Environment,
}

/// The settings turn (see [`BackgroundCore::settings_turn`]); given back when dropped.
pub struct SettingsTurn<'a> {
    _held: futures_util::lock::MutexGuard<'a, ()>,
}

/// A request's answer and effects, with the settings turn when the request changes settings.
pub struct Answered<'a> {
    /// What the asker gets once the effects are carried out.
    pub answer: FromBackground,
    /// What the edge carries out, in order.
    pub effects: Vec<Effect>,
    /// Held until the effects are carried out; `None` for requests that leave settings alone.
    pub turn: Option<SettingsTurn<'a>>,
}

/// What the walker and discovery said about a page besides its contacts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageNotes {
    /// The walker stopped early.
    pub truncated: Option<Truncation>,
    /// Numbers written without a country that could not be read.
    pub unplaced: Option<Unplaced>,
    /// The other numbers that did not become callable lines, by reason.
    pub left_out: Option<LeftOut>,
    /// The page's pagers (a list with more pages offers the bulk import).
    pub pager: Option<Pager>,
    /// The page's list grows by scrolling or a "Load more" button.
    pub more_rows: Option<MoreRows>,
}

/// Pages whose last reading the core remembers for the popup.
const PAGE_READINGS_KEPT: usize = 64;

impl Default for BackgroundCore {
    fn default() -> Self {
        Self::new(0.0, 0.0, Environment::default())
    }
}

impl BackgroundCore {
    /// A core with contacts in memory (tests).
    pub fn new(script_start_ms: f64, wasm_ready_ms: f64, environment: Environment) -> Self {
        Self::with_stores(
            script_start_ms,
            wasm_ready_ms,
            environment,
            MemoryContacts::new(CONTACTS_PAGE_SIZE),
            MemoryLogs::default(),
        )
    }
}

impl<C: ContactSource + ContactSink, L: LogStore> BackgroundCore<C, L> {
    /// A core for a worker whose loader started at `script_start_ms` and became ready at
    /// `wasm_ready_ms` (both `performance.now()` of the worker), answering from `contacts` and
    /// logging into `logs`.
    pub fn with_stores(
        script_start_ms: f64,
        wasm_ready_ms: f64,
        environment: Environment,
        contacts: C,
        logs: L,
    ) -> Self {
        Self {
            timings: Cell::new(WorkerTimings {
                script_start_ms,
                wasm_ready_ms,
                ..WorkerTimings::default()
            }),
            settings: RefCell::new(Settings::default()),
            settings_generation: Cell::new(0),
            settings_lane: futures_util::lock::Mutex::new(()),
            router: ServiceRouter::new(
                SERVICE_NAME,
                contacts,
                logs,
                MemoryState::new(default_widget_settings()),
            ),
            tickets: RefCell::new(TicketBook::default()),
            learning: RefCell::new(LearningGate::default()),
            passes: RefCell::new(BTreeMap::new()),
            page_readings: RefCell::new(BTreeMap::new()),
            errors: RefCell::new(RecentErrors::default()),
            errors_restored: Cell::new(false),
            phone_login: RefCell::new(None),
            import: RefCell::new(None),
            import_restored: Cell::new(false),
            environment,
        }
    }

    /// Records an error for the diagnostics section; returns the JSON to keep, once the
    /// errors of earlier workers were restored.
    pub fn record_error(&self, message: &str, now_ms: f64) -> Option<String> {
        self.errors.borrow_mut().record(message, now_ms);
        self.errors_restored
            .get()
            .then(|| serde_json::to_string(&*self.errors.borrow()).unwrap_or_default())
    }

    /// Puts the errors an earlier worker kept under this one's; returns the JSON to keep.
    pub fn restore_errors(&self, older: RecentErrors) -> String {
        self.errors.borrow_mut().merge_older(older);
        self.errors_restored.set(true);
        serde_json::to_string(&*self.errors.borrow()).unwrap_or_default()
    }

    /// Versions and recent errors.
    pub fn about(&self) -> About {
        About {
            version: crate::VERSION.to_owned(),
            settings_schema: SETTINGS_SCHEMA_VERSION,
            database_version: crate::DATABASE_VERSION,
            worker: self.timings.get(),
            errors: self.errors.borrow().newest_first(),
        }
    }

    /// Restores the passes kept in session storage (at worker wake-up).
    pub fn restore_passes(&self, passes: BTreeMap<String, PassHolder>) {
        self.passes.borrow_mut().extend(passes);
    }

    /// Restores the phone's login state kept in session storage, unless a phone announced
    /// one to this worker already.
    pub fn restore_phone_login(&self, text: &str) {
        let mut login = self.phone_login.borrow_mut();
        if login.is_none() {
            *login = serde_json::from_str(text).ok();
        }
    }

    /// Notes a widget's login announcement; the effect keeps it when it changed.
    fn note_phone_login(&self, message: &serde_json::Value) -> Option<Effect> {
        let Some(WidgetEvent::LoginStatus(status)) = WidgetEvent::read(message) else {
            return None;
        };
        let login = PhoneLogin {
            logged_in: status.logged_in,
            login_number: status.login_number.filter(|_| status.logged_in),
        };
        let mut kept = self.phone_login.borrow_mut();
        if kept.as_ref() == Some(&login) {
            return None;
        }
        let text = serde_json::to_string(&login).unwrap_or_default();
        *kept = Some(login);
        Some(Effect::KeepPhoneLogin(text))
    }

    /// The current settings (e.g. to check a content script's site).
    pub fn settings(&self) -> Settings {
        self.settings.borrow().clone()
    }

    /// Uses these settings from now on (loaded at wake-up and on every change).
    pub fn set_settings(&self, settings: Settings) {
        self.settings_generation
            .set(self.settings_generation.get() + 1);
        self.router
            .state()
            .replace_widget_settings(widget_settings_items(&settings.widget_toggles));
        self.router
            .state()
            .set_site_options(settings.site_options.clone());
        self.router.state().set_own_numbers(&settings.own_numbers);
        *self.settings.borrow_mut() = settings;
    }

    /// Waits for the settings turn. Every change of the settings is computed from the current
    /// ones and written back whole, and the writing awaits storage: two changes computed
    /// before either was applied would have the later one write back what the earlier one
    /// changed (the widget's toggles undoing a site just switched off). So whatever reads the
    /// settings to change them holds the turn until its change is stored and applied.
    pub async fn settings_turn(&self) -> SettingsTurn<'_> {
        SettingsTurn {
            _held: self.settings_lane.lock().await,
        }
    }

    /// The current settings with the phone's toggles `values` (kept through the settings, so
    /// they survive worker restarts); computed while holding the settings turn.
    pub fn settings_with_widget_toggles(
        &self,
        values: BTreeMap<String, serde_json::Value>,
    ) -> Settings {
        let mut settings = self.settings();
        settings.widget_toggles.extend(values);
        settings
    }

    /// The settings generation, taken before reading settings from storage.
    pub fn settings_generation(&self) -> u64 {
        self.settings_generation.get()
    }

    /// Notes that a settings write has begun: a read of storage under way now may return
    /// what that write replaces, so it must not be applied (see [`Self::set_loaded_settings`]).
    pub fn settings_write_started(&self) {
        self.settings_generation
            .set(self.settings_generation.get() + 1);
    }

    /// Uses settings read from storage, unless they changed since `generation` was taken: a
    /// save that began or finished while the read was under way is newer than what the read
    /// returned.
    pub fn set_loaded_settings(&self, generation: u64, settings: Settings) -> bool {
        let current = generation == self.settings_generation.get();
        if current {
            self.set_settings(settings);
        }
        current
    }

    /// The service router (discovery and tests feed its data).
    pub fn router(&self) -> &BackgroundRouter<C, L> {
        &self.router
    }

    /// The first message on every new port.
    pub fn ready(&self) -> FromBackground {
        FromBackground::Ready {
            version: crate::VERSION.to_owned(),
        }
    }

    /// Adds one port request's time, arrival to answer posted (see [`WorkerTimings::busy_ms`]).
    pub fn note_busy(&self, ms: f64) {
        let mut timings = self.timings.get();
        timings.busy_ms += ms.max(0.0);
        self.timings.set(timings);
    }

    /// Answers one request from `caller`.
    pub async fn handle(&self, request: ToBackground, caller: &Caller) -> Handled {
        let mut timings = self.timings.get();
        timings.requests_handled += 1;
        self.timings.set(timings);
        let reply = |reply| Handled {
            reply,
            effects: Vec::new(),
        };
        let request_is_retry = matches!(request, ToBackground::RetryDeliveries { .. });
        match request {
            ToBackground::Ping { sent_at_ms } => reply(Reply::Pong {
                version: crate::VERSION.to_owned(),
                sent_at_ms,
            }),
            ToBackground::Diagnostics => reply(Reply::Diagnostics {
                worker: WorkerTimings {
                    wasm_memory_bytes: (self.environment.memory_bytes)(),
                    ..self.timings.get()
                },
                contact_memory: self.router.contacts().memory_state(),
            }),
            ToBackground::About => reply(Reply::About(self.about())),
            ToBackground::ClearErrors => {
                *self.errors.borrow_mut() = RecentErrors::default();
                Handled {
                    reply: Reply::About(self.about()),
                    effects: vec![Effect::KeepErrors("[]".into())],
                }
            }
            request @ (ToBackground::WidgetTicket
            | ToBackground::ClaimCode
            | ToBackground::VouchForHost { .. }
            | ToBackground::Admit { .. }
            | ToBackground::Resume { .. }) => self.handle_admission(request, caller),
            ToBackground::SiteStatus { url } => {
                let mut status = self.site_status(&url);
                if let Some(site) = &status.enabled_as {
                    status.contacts = self.router.contacts().count(site).await.ok();
                }
                let settings = self.settings();
                status.api_import = settings.site_for_url(&url).is_some_and(|site| {
                    settings
                        .recipe_of(&site)
                        .is_some_and(|recipe| recipe.api.is_some())
                });
                status.page = self.page_readings.borrow().get(&url).cloned();
                status.phone = self.phone_login.borrow().clone();
                reply(Reply::Site(status))
            }
            ToBackground::EnableSite { url, subdomains } => {
                let site = match SitePattern::for_page(&url, subdomains) {
                    Ok(site) => site,
                    Err(err) => {
                        return reply(Reply::Error {
                            message: err.to_string(),
                        })
                    }
                };
                let mut settings = self.settings();
                settings.enable_site(site.clone());
                let pattern = site.match_pattern();
                Handled {
                    reply: Reply::Site(site_status_of(&settings, &url)),
                    effects: vec![
                        Effect::RequirePermission(pattern.clone()),
                        Effect::SaveSettings(Box::new(settings)),
                        Effect::RegisterSites,
                        Effect::InjectWidget(pattern),
                    ],
                }
            }
            ToBackground::DisableSite { url } => {
                let mut settings = self.settings();
                let off = settings.disable_page(&url);
                if off.listed.is_none() && off.excepted.is_none() {
                    return reply(Reply::Site(self.site_status(&url)));
                }
                let mut effects = vec![
                    Effect::SaveSettings(Box::new(settings.clone())),
                    Effect::RegisterSites,
                ];
                let gone = off.listed.iter().chain(&off.excepted);
                effects.extend(gone.map(|site| Effect::RemoveWidget(site.match_pattern())));
                if let Some(site) = off.listed {
                    effects.push(Effect::ReleasePermission(site.match_pattern()));
                }
                Handled {
                    reply: Reply::Site(site_status_of(&settings, &url)),
                    effects,
                }
            }
            ToBackground::SetAllSites { on, except } => {
                let except = match AllSites::parse_except(&except) {
                    Ok(except) => except,
                    Err(message) => return reply(Reply::Error { message }),
                };
                let mut settings = self.settings();
                let was_on = settings.all_sites.on;
                settings.all_sites = AllSites { on, except };
                Handled {
                    reply: Reply::Settings {
                        settings: serde_json::to_value(&settings).unwrap_or_default(),
                    },
                    effects: all_sites_effects(settings, was_on),
                }
            }
            ToBackground::ImportContacts {
                site,
                contacts,
                batch,
            } => {
                let site = match self.enabled_site(&site) {
                    Ok(site) => site,
                    Err(message) => return reply(Reply::Error { message }),
                };
                let sink = self.router.contacts();
                let written = match &batch {
                    Some(batch) => sink.import_part(&site, contacts, batch).await,
                    None => sink.import(&site, contacts).await,
                };
                match written {
                    // Written into the batch's transaction, not kept yet: nothing to sync.
                    Ok(count) if batch.is_some_and(|batch| !batch.last) => {
                        reply(Reply::ImportWritten { count })
                    }
                    Ok(count) => Handled {
                        reply: Reply::Imported { count },
                        effects: vec![Effect::ContactsChanged],
                    },
                    Err(err) => reply(Reply::Error { message: err.0 }),
                }
            }
            ToBackground::RemoveContacts { site, ids } => {
                let site = match self.enabled_site(&site) {
                    Ok(site) => site,
                    Err(message) => return reply(Reply::Error { message }),
                };
                match self.router.contacts().remove(&site, &ids).await {
                    Ok(summary) => Handled {
                        reply: Reply::Removed {
                            count: summary.removed,
                        },
                        effects: if summary.changed_anything() {
                            vec![Effect::ContactsChanged]
                        } else {
                            Vec::new()
                        },
                    },
                    Err(err) => reply(Reply::Error { message: err.0 }),
                }
            }
            ToBackground::ExportContacts { site } => match self.enabled_site(&site) {
                Ok(site) => match self.router.contacts().export(&site).await {
                    Ok(contacts) => reply(Reply::Contacts { contacts }),
                    Err(err) => reply(Reply::Error { message: err.0 }),
                },
                Err(message) => reply(Reply::Error { message }),
            },
            ToBackground::ContactCounts => {
                let (mut sites, mut last_read) = (BTreeMap::new(), BTreeMap::new());
                for site in self.settings().sites {
                    let site = site.to_string();
                    let contacts = self.router.contacts();
                    match (contacts.count(&site).await, contacts.last_read(&site).await) {
                        (Ok(count), Ok(read)) => {
                            if let Some(at) = read {
                                last_read.insert(site.clone(), at);
                            }
                            sites.insert(site, count);
                        }
                        (Err(err), _) | (_, Err(err)) => {
                            return reply(Reply::Error { message: err.0 })
                        }
                    }
                }
                reply(Reply::ContactCounts { sites, last_read })
            }
            ToBackground::LogSummary => match self.router.logs().summary().await {
                Ok(summary) => reply(Reply::Logs { summary }),
                Err(err) => reply(Reply::Error { message: err.0 }),
            },
            ToBackground::Journal { query } => match self.router.logs().journal(&query).await {
                Ok(entries) => reply(Reply::Journal { entries }),
                Err(err) => reply(Reply::Error { message: err.0 }),
            },
            ToBackground::ExplainNumber { number } => {
                let national = NumberKey::parse(&number).map(|key| key.national);
                let near = match national {
                    Some(national) => {
                        match self.router.contacts().on_national_number(&national).await {
                            Ok(contacts) => contacts,
                            Err(err) => return reply(Reply::Error { message: err.0 }),
                        }
                    }
                    None => Vec::new(),
                };
                let own = self.settings().own_numbers;
                reply(Reply::NumberExplained(explain(&number, &own, &near)))
            }
            ToBackground::ImportJournal { entries } => {
                if let Err(message) = check_entries(&entries) {
                    return reply(Reply::Error { message });
                }
                match self.router.logs().import_entries(entries).await {
                    Ok(import) => reply(Reply::JournalImported(import)),
                    Err(err) => reply(Reply::Error { message: err.0 }),
                }
            }
            ToBackground::Outbox => {
                let logs = self.router.logs();
                match (logs.waiting().await, logs.summary().await) {
                    (Ok(deliveries), Ok(summary)) => reply(Reply::Outbox {
                        deliveries,
                        summary,
                    }),
                    (Err(err), _) | (_, Err(err)) => reply(Reply::Error { message: err.0 }),
                }
            }
            ToBackground::RetryDeliveries { keys } | ToBackground::DiscardDeliveries { keys } => {
                let logs = self.router.logs();
                let changed = match request_is_retry {
                    true => logs.retry_deliveries(&keys).await,
                    false => logs.discard_deliveries(&keys).await,
                };
                match (changed, logs.summary().await) {
                    (Ok(_), Ok(summary)) => Handled {
                        reply: Reply::Logs { summary },
                        // The courier sends what is due now and redraws the badge.
                        effects: vec![Effect::DeliverLogs],
                    },
                    (Err(err), _) | (_, Err(err)) => reply(Reply::Error { message: err.0 }),
                }
            }
            ToBackground::ForgetSite { site } => match SitePattern::parse(&site) {
                Ok(site) => {
                    let (mut settings, mut effects) = self.without_site(&site);
                    // Forgetting drops the site's lists too (switching off keeps them).
                    if settings.site_options.remove(&site).is_some() {
                        effects[0] = Effect::SaveSettings(Box::new(settings.clone()));
                    }
                    // And its contacts: tombstones, so open widgets drop them at their next sync.
                    match self.router.contacts().forget_site(&site.to_string()).await {
                        Ok(0) => {}
                        Ok(_) => effects.push(Effect::ContactsChanged),
                        Err(err) => return reply(Reply::Error { message: err.0 }),
                    }
                    // And the logs of its contacts, with their deliveries and its webhook's.
                    match self.router.logs().forget_site(&site.to_string()).await {
                        Ok(0) => {}
                        Ok(_) => effects.push(Effect::DeliverLogs),
                        Err(err) => return reply(Reply::Error { message: err.0 }),
                    }
                    Handled {
                        reply: Reply::Settings {
                            settings: serde_json::to_value(&settings).unwrap_or_default(),
                        },
                        effects,
                    }
                }
                Err(err) => reply(Reply::Error {
                    message: err.to_string(),
                }),
            },
            ToBackground::GetSettings => reply(Reply::Settings {
                settings: serde_json::to_value(self.settings()).unwrap_or_default(),
            }),
            ToBackground::SaveSettings { settings } => {
                // A file exported without secrets keeps the secrets in place.
                let current = self.settings();
                saving_settings(
                    Settings::from_json(&settings.to_string()).and_then(|imported| {
                        crate::settings::secrets::with_credentials_from(imported, &current)
                    }),
                )
            }
            ToBackground::SaveOptions { changes } => {
                saving_settings(self.settings().with_changes(&changes))
            }
            ToBackground::SaveSiteOptions { site, options } => {
                saving_site_options(self.with_site_options(&site, &options))
            }
            ToBackground::AllowWholeList { site } => match self.enabled_pattern(&site) {
                Ok(site) => {
                    let now = (self.environment.now_ms)();
                    self.learning
                        .borrow_mut()
                        .allow_whole_list(&site.to_string(), now);
                    reply(Reply::Done)
                }
                Err(message) => reply(Reply::Error { message }),
            },
            ToBackground::SetSiteCountry { site, country } => {
                saving_site_options(self.with_site_country(&site, &country))
            }
            ToBackground::OpenPhoneWindow
                if caller.is_admitted()
                    || caller.kind == CallerKind::ExtensionPage && caller.tab_id.is_none() =>
            {
                Handled {
                    reply: Reply::Done,
                    effects: vec![Effect::OpenPhoneWindow {
                        ticket: self.issue_ticket(),
                    }],
                }
            }
            request @ (ToBackground::StartImport { .. }
            | ToBackground::ImportStatus
            | ToBackground::CancelImport
            | ToBackground::ResumeImport) => self.handle_import(request),
            ToBackground::OpenPhoneWindow => reply(Reply::Error {
                message: "only crm-bridge's own pages may open the phone window".into(),
            }),
            ToBackground::PreviewRecipe { site, recipe } => {
                let recipe = self
                    .enabled_pattern(&site)
                    .and_then(|site| Ok((site, Recipe::parse(&recipe)?)));
                match recipe {
                    Ok((site, recipe)) => Handled {
                        // Replaced by the edge with what the open tab gave.
                        reply: Reply::Done,
                        effects: vec![Effect::PreviewRecipe {
                            pattern: site.match_pattern(),
                            recipe: recipe.map(Box::new),
                        }],
                    },
                    Err(message) => reply(Reply::Error { message }),
                }
            }
            // Read by discovery in the background entry, from content scripts only (their tab's
            // site is checked there); a port never carries it.
            ToBackground::PageEvidence { .. }
            | ToBackground::PageEvidenceDelta { .. }
            | ToBackground::SiteRecipe => reply(Reply::Error {
                message: "page evidence comes only from the discovery content script".into(),
            }),
            ToBackground::Register | ToBackground::FromWidget { .. } if !caller.is_admitted() => {
                reply(Reply::Error {
                    message: "this widget host was not admitted".into(),
                })
            }
            ToBackground::Register => {
                let state = self.router.state();
                let (items, authorized) = (state.widget_settings().await, state.authorized().await);
                let registration = registration(&self.settings.borrow(), items, authorized);
                reply(Reply::ToWidget {
                    messages: vec![WidgetMessage::of(&registration)],
                })
            }
            ToBackground::FromWidget { message } => {
                let site = caller.site.borrow().clone();
                let Some(answer) = self.router.answer_for(&message, site.as_deref()).await else {
                    return Handled {
                        reply: Reply::ToWidget {
                            messages: Vec::new(),
                        },
                        effects: self.note_phone_login(&message).into_iter().collect(),
                    };
                };
                let (to_widget, effects): (Vec<Effect>, Vec<Effect>) = answer
                    .effects
                    .into_iter()
                    .partition(|e| matches!(e, Effect::PostToWidget(_)));
                let mut messages = vec![answer.response];
                messages.extend(to_widget.into_iter().filter_map(|e| match e {
                    Effect::PostToWidget(message) => Some(WidgetMessage::from(message)),
                    _ => None,
                }));
                Handled {
                    reply: Reply::ToWidget { messages },
                    effects,
                }
            }
        }
    }

    /// A fresh admission ticket for our own extension pages.
    fn issue_ticket(&self) -> String {
        let ticket = (self.environment.random_token)();
        let now = (self.environment.now_ms)();
        self.tickets.borrow_mut().issue(ticket.clone(), now);
        ticket
    }

    /// The enabled site a listed pattern names; refused when it is not switched on.
    fn enabled_pattern(&self, site: &str) -> Result<SitePattern, String> {
        let site = SitePattern::parse(site).map_err(|err| err.to_string())?;
        if !self.settings.borrow().sites.contains(&site) {
            return Err(format!("{site} is not switched on"));
        }
        Ok(site)
    }

    /// Stores what discovery found on a page of the enabled site `page_url` is on (the sender's
    /// tab, checked by the caller). Contacts already known are merged, not replaced (see
    /// [`crate::contacts::merge::merge_seen`]); open widgets re-sync only when something changed.
    pub async fn store_discovered(
        &self,
        page_url: &str,
        contacts: Vec<Contact>,
        notes: PageNotes,
    ) -> Result<(WriteSummary, Vec<Effect>), String> {
        let settings = self.settings();
        let site = settings
            .site_for_url(page_url)
            .ok_or("crm-bridge is not on for this page's site")?;
        let site_key = site.to_string();
        let found = contacts.len();
        let limits = settings.limits.sane();
        let mut held_back = None;
        let contacts = if !settings.keeps_new_from(&site, page_url) {
            // A page that adds no one: the people it shows that are kept already are updated.
            self.known_only(&site_key, contacts).await?
        } else {
            let (room, binding) = self.allowance(&site, &settings, &limits).await?;
            if contacts.len() <= room {
                contacts
            } else {
                // Known people are still updated; new ones past the room wait (see `learning`).
                let (mut known, new) = self.split_known(&site_key, contacts).await?;
                if new.len() > room {
                    held_back = Some(binding);
                }
                known.extend(new.into_iter().take(room));
                known
            }
        };
        let summary = self
            .router
            .contacts()
            .upsert(&site_key, contacts)
            .await
            .map_err(|e| e.0)?;
        let now = (self.environment.now_ms)();
        {
            let mut learning = self.learning.borrow_mut();
            learning.note_added(&site_key, summary.added, now);
            if held_back == Some(HeldBack::TooFast) {
                learning.quiet_page(page_url, &site_key, now);
            }
        }
        self.note_reading(page_url, found, &notes, held_back.map(|h| h.note(&limits)));
        let mut effects = Vec::new();
        if summary.changed_anything() {
            effects.push(Effect::ContactsChanged);
        }
        if let Some(held_back) = held_back {
            let sentence = held_back.sentence(&site_key, &limits);
            let wall = (self.environment.wall_clock_ms)();
            if let Some(kept) = self.record_error(&sentence, wall) {
                effects.push(Effect::KeepErrors(kept));
            }
        }
        Ok((summary, effects))
    }

    /// How long a page that flooded new people is not read for, if it is held back now (its
    /// evidence is then not interpreted at all; see [`LearningGate::quiet_page`]).
    pub fn page_quiet_for_ms(&self, page_url: &str) -> Option<f64> {
        let now = (self.environment.now_ms)();
        self.learning.borrow().quiet_for_ms(page_url, now)
    }

    /// How many new contacts `site` may add now, and the limit that binds.
    async fn allowance(
        &self,
        site: &SitePattern,
        settings: &Settings,
        limits: &LearningLimits,
    ) -> Result<(usize, HeldBack), String> {
        let contacts = self.router.contacts();
        let site_key = site.to_string();
        let in_site = contacts.count(&site_key).await.map_err(|e| e.0)?;
        let mut in_store = 0;
        for other in &settings.sites {
            in_store += match other == site {
                true => in_site,
                false => contacts.count(&other.to_string()).await.map_err(|e| e.0)?,
            };
        }
        let now = (self.environment.now_ms)();
        Ok(self
            .learning
            .borrow_mut()
            .allowance(&site_key, in_site, in_store, limits, now))
    }

    /// Keeps what the popup says of the page `page_url` (the newest readings only).
    fn note_reading(
        &self,
        page_url: &str,
        found: usize,
        notes: &PageNotes,
        held_back: Option<HeldBackNote>,
    ) {
        let mut readings = self.page_readings.borrow_mut();
        if readings.len() >= PAGE_READINGS_KEPT && !readings.contains_key(page_url) {
            readings.pop_first();
        }
        let pager = notes.pager.as_ref();
        let next = pager.and_then(|pager| next_page(pager, page_url));
        let reading = PageReading {
            found,
            truncated: notes.truncated.clone(),
            unplaced: notes.unplaced.clone(),
            left_out: notes.left_out.clone(),
            next_page: next.clone(),
            last_page: pager.and_then(last_page),
            more_rows: whole_list_offer(found, next.as_deref(), notes.more_rows),
            held_back,
        };
        readings.insert(page_url.to_owned(), reading);
    }

    /// The contacts seen on `page_url` that may be kept: all of them, or, where `site` keeps
    /// new contacts only from chosen pages and this is not one, those it keeps already (they
    /// are still updated).
    pub(crate) async fn keepable(
        &self,
        site: &SitePattern,
        page_url: &str,
        contacts: Vec<Contact>,
    ) -> Result<Vec<Contact>, String> {
        if self.settings().keeps_new_from(site, page_url) {
            return Ok(contacts);
        }
        self.known_only(&site.to_string(), contacts).await
    }

    /// Those of `contacts` that `site` holds already (live).
    async fn known_only(&self, site: &str, contacts: Vec<Contact>) -> Result<Vec<Contact>, String> {
        Ok(self.split_known(site, contacts).await?.0)
    }

    /// `contacts` split into those `site` holds already (live) and the new ones.
    async fn split_known(
        &self,
        site: &str,
        contacts: Vec<Contact>,
    ) -> Result<(Vec<Contact>, Vec<Contact>), String> {
        let (mut known, mut new) = (Vec::new(), Vec::new());
        for contact in contacts {
            let key = crate::contacts::record::record_key(site, &contact.id);
            let stored = self
                .router
                .contacts()
                .contact(&key)
                .await
                .map_err(|e| e.0)?;
            match stored.is_some_and(|stored| !stored.deleted) {
                true => known.push(contact),
                false => new.push(contact),
            }
        }
        Ok((known, new))
    }

    /// The enabled site with this pattern, as text (the key its contacts are stored under).
    fn enabled_site(&self, site: &str) -> Result<String, String> {
        self.enabled_pattern(site).map(|site| site.to_string())
    }

    /// The settings with one enabled site's options replaced (dropped when empty).
    fn with_site_options(&self, site: &str, text: &SiteOptionsText) -> Result<Settings, String> {
        let site = self.enabled_pattern(site)?;
        let mut settings = self.settings();
        let options = text.parse().map_err(|err| err.to_string())?;
        if let Some(recipe) = &options.recipe {
            if let (Some(log), None) = (recipe.log.as_deref(), recipe.log_on(&site)) {
                return Err(format!(
                    "recipe log: {log} is not on {site}; logs go only to the site's own CRM \
                     (use a webhook for anything else)"
                ));
            }
        }
        if options.is_empty() {
            settings.site_options.remove(&site);
        } else {
            settings.site_options.insert(site, options);
        }
        Ok(settings)
    }

    /// The settings with one enabled site's country replaced, its other options kept.
    fn with_site_country(&self, site: &str, country: &str) -> Result<Settings, String> {
        let site = self.enabled_pattern(site)?;
        let mut settings = self.settings();
        let mut options = settings.site_options.remove(&site).unwrap_or_default();
        options.country =
            crate::settings::site_options::parse_country(country).map_err(|e| e.to_string())?;
        if !options.is_empty() {
            settings.site_options.insert(site, options);
        }
        Ok(settings)
    }

    /// The settings without `site`, and what switching it off takes.
    fn without_site(&self, site: &SitePattern) -> (Settings, Vec<Effect>) {
        let mut settings = self.settings();
        settings.disable_site(site);
        let pattern = site.match_pattern();
        let effects = vec![
            Effect::SaveSettings(Box::new(settings.clone())),
            Effect::RegisterSites,
            Effect::RemoveWidget(pattern.clone()),
            Effect::ReleasePermission(pattern),
        ];
        (settings, effects)
    }

    /// What the popup shows for a page.
    pub fn site_status(&self, url: &str) -> SiteStatus {
        site_status_of(&self.settings.borrow(), url)
    }

    /// Answers one raw message; `None` when it has no id to answer to.
    /// A request that changes the settings is handled in the settings turn, which the
    /// answer carries: the edge holds it until the effects are carried out.
    pub async fn handle_text(&self, text: &str, caller: &Caller) -> Option<Answered<'_>> {
        match decode_envelope(text) {
            Ok(envelope) => {
                let turn = match envelope.body.changes_settings() {
                    true => Some(self.settings_turn().await),
                    false => None,
                };
                let handled = self.handle(envelope.body, caller).await;
                debug_assert!(
                    turn.is_some()
                        || !handled
                            .effects
                            .iter()
                            .any(|e| matches!(e, Effect::SaveSettings(_))),
                    "a request that saves settings must be listed in changes_settings"
                );
                Some(Answered {
                    answer: FromBackground::Reply {
                        id: envelope.id,
                        reply: handled.reply,
                    },
                    effects: handled.effects,
                    turn,
                })
            }
            Err(err) => err.id.map(|id| Answered {
                answer: FromBackground::Reply {
                    id,
                    reply: Reply::Error {
                        message: err.message,
                    },
                },
                effects: Vec::new(),
                turn: None,
            }),
        }
    }
}

/// Saving whole settings (a settings file, the options form applied): the saved settings as
/// the answer, and the registration rebuilt; nothing changes when they were refused.
/// Contacts a growing list must have given before the popup offers to read it whole: a page
/// whose long list is a menu or a feed of notes gives none, and is not offered.
pub const WHOLE_LIST_MIN_FOUND: usize = 5;

/// Whether the popup offers "Read the whole list": the list grows as it is scrolled, it gave
/// people, and no pager leads to the rest (the page-by-page import does that better).
fn whole_list_offer(
    found: usize,
    next_page: Option<&str>,
    more: Option<MoreRows>,
) -> Option<MoreRows> {
    more.filter(|_| found >= WHOLE_LIST_MIN_FOUND && next_page.is_none())
}

/// The answer to a change of one site's options: the settings to save, or why not (the sites
/// themselves are unchanged, so nothing is registered again).
fn saving_site_options(settings: Result<Settings, String>) -> Handled {
    match settings {
        Ok(settings) => Handled {
            reply: Reply::Settings {
                settings: serde_json::to_value(&settings).unwrap_or_default(),
            },
            effects: vec![Effect::SaveSettings(Box::new(settings))],
        },
        Err(message) => Handled {
            reply: Reply::Error { message },
            effects: Vec::new(),
        },
    }
}

fn saving_settings(settings: Result<Settings, crate::settings::SettingsError>) -> Handled {
    match settings {
        Ok(settings) => Handled {
            reply: Reply::Settings {
                settings: serde_json::to_value(&settings).unwrap_or_default(),
            },
            effects: vec![
                Effect::SaveSettings(Box::new(settings)),
                Effect::RegisterSites,
            ],
        },
        Err(err) => Handled {
            reply: Reply::Error {
                message: err.to_string(),
            },
            effects: Vec::new(),
        },
    }
}

fn site_status_of(settings: &Settings, url: &str) -> SiteStatus {
    let (site, problem) = match SitePattern::for_page(url, false) {
        Ok(site) => (Some(site.to_string()), None),
        Err(err) => (None, Some(err.to_string())),
    };
    let enabled = settings.enabled_by(url);
    SiteStatus {
        site,
        all_sites: enabled.as_ref().is_some_and(|by| !by.listed),
        enabled_as: enabled.map(|by| by.site.to_string()),
        problem,
        contacts: None,
        page: None,
        phone: None,
        api_import: false,
    }
}

/// What turning the all-sites mode on or off (or changing its exceptions) takes, in order:
/// the browser's access to all sites first (asked by the options page at the click), the
/// settings, the widget out of open tabs no longer covered (tabs of listed sites keep it; done
/// while the tabs' addresses are still readable), the access given back when the mode is
/// turned off (before the registration is rebuilt, so it shows what is still granted), the
/// registration, and the widget into the open tabs now covered.
fn all_sites_effects(settings: Settings, was_on: bool) -> Vec<Effect> {
    let on = settings.all_sites.on;
    let patterns = ALL_SITES_PATTERNS.map(String::from);
    let mut effects = Vec::new();
    if on {
        effects.extend(patterns.iter().cloned().map(Effect::RequirePermission));
    }
    effects.push(Effect::SaveSettings(Box::new(settings)));
    if was_on {
        effects.extend(patterns.iter().cloned().map(Effect::RemoveWidget));
    }
    if was_on && !on {
        effects.extend(patterns.iter().cloned().map(Effect::ReleasePermission));
    }
    effects.push(Effect::RegisterSites);
    if on {
        effects.extend(patterns.iter().cloned().map(Effect::InjectWidget));
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::journal_import::JournalImport;
    use crate::test_support::{admitted_caller, block_on};
    use serde_json::json;

    fn page() -> Caller {
        Caller::new(CallerKind::ExtensionPage, Some(1))
    }

    /// What the core answers an extension page (the options page, the popup).
    fn ask(core: &BackgroundCore, request: ToBackground) -> Handled {
        block_on(core.handle(request, &page()))
    }

    #[test]
    fn a_growing_list_is_offered_whole_only_when_it_gave_people_and_no_pager_leads_on() {
        use crate::protocol::evidence::MoreVia;
        let more = Some(MoreRows {
            via: MoreVia::Scroll,
            rows: 30,
        });
        assert_eq!(whole_list_offer(12, None, more), more);
        assert_eq!(
            whole_list_offer(12, Some("https://crm.test/?page=2"), more),
            None
        );
        assert_eq!(whole_list_offer(WHOLE_LIST_MIN_FOUND - 1, None, more), None);
        assert_eq!(whole_list_offer(12, None, None), None);
    }

    #[test]
    fn ping_is_answered_with_the_version_and_echo() {
        let core = BackgroundCore::new(1.0, 20.0, Environment::default());
        let reply =
            block_on(core.handle_text(r#"{"id":1,"body":{"kind":"ping","sentAtMs":5}}"#, &page()));
        assert_eq!(
            reply.map(|answered| answered.answer),
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
        let core = BackgroundCore::new(1.0, 20.0, Environment::default());
        ask(&core, ToBackground::Ping { sent_at_ms: 0.0 });
        core.note_busy(1.5);
        core.note_busy(2.0);
        let Reply::Diagnostics {
            worker: timings, ..
        } = ask(&core, ToBackground::Diagnostics).reply
        else {
            panic!("expected diagnostics");
        };
        assert_eq!(timings.requests_handled, 2);
        assert_eq!(timings.wasm_ready_ms, 20.0);
        assert_eq!(timings.busy_ms, 3.5);
    }

    #[test]
    fn unreadable_request_with_id_gets_an_error_reply() {
        let core = BackgroundCore::default();
        let answered =
            block_on(core.handle_text(r#"{"id":4,"body":{"kind":"launchMissiles"}}"#, &page()));
        match answered.map(|answered| answered.answer) {
            Some(FromBackground::Reply {
                id: 4,
                reply: Reply::Error { .. },
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(block_on(core.handle_text("][", &page())).is_none());
    }

    #[test]
    fn an_exported_journal_is_imported_once_matched_and_never_delivered_again() {
        let core = BackgroundCore::default();
        let entry = |id: &str| -> crate::logging::entry::JournalEntry {
            serde_json::from_value(json!({
                "key": format!("call:{id}"), "kind": "call", "time": 1.7e12, "updated": 1.7e12,
                "revision": 3, "note": "from the old laptop",
                "call": { "sessionId": id, "direction": "Outbound" }
            }))
            .unwrap()
        };
        let import = |entries| ask(&core, ToBackground::ImportJournal { entries }).reply;
        let added = JournalImport { added: 2, kept: 0 };
        assert_eq!(
            import(vec![entry("a"), entry("b")]),
            Reply::JournalImported(added)
        );
        let again = JournalImport { added: 1, kept: 2 };
        assert_eq!(
            import(vec![entry("a"), entry("b"), entry("c")]),
            Reply::JournalImported(again)
        );
        let mut bad = entry("d");
        bad.key = "call:not-d".into();
        let Reply::Error { message } = import(vec![entry("e"), bad]) else {
            panic!("a wrong entry refuses the chunk")
        };
        assert!(message.starts_with("entry 2: "), "{message}");
        let logs = core.router().logs();
        let matched = block_on(logs.call_log_matches(&["a".into(), "e".into()])).unwrap();
        assert_eq!(matched["a"][0].note.as_deref(), Some("from the old laptop"));
        assert!(
            !matched.contains_key("e"),
            "nothing of a refused chunk was added"
        );
        assert!(
            block_on(logs.waiting()).unwrap().is_empty(),
            "history is not delivered again"
        );
    }

    #[test]
    fn the_popup_knows_whether_the_phone_is_logged_in() {
        let core = BackgroundCore::default();
        let host = admitted_caller(&core);
        let phone = |core: &BackgroundCore| match ask(
            core,
            ToBackground::SiteStatus {
                url: "https://crm.example.com/".into(),
            },
        )
        .reply
        {
            Reply::Site(status) => status.phone,
            other => panic!("{other:?}"),
        };
        assert_eq!(phone(&core), None, "no phone opened yet");
        let announce = |message: serde_json::Value| {
            block_on(core.handle(ToBackground::FromWidget { message }, &host)).effects
        };
        let login = json!({"type": "rc-login-status-notify", "loggedIn": true, "loginNumber": "+16505550100*101"});
        let effects = announce(login.clone());
        let [Effect::KeepPhoneLogin(kept)] = effects.as_slice() else {
            panic!("kept for the session")
        };
        assert!(
            announce(login).is_empty(),
            "the same state again keeps nothing"
        );
        let logged_in = PhoneLogin {
            logged_in: true,
            login_number: Some("+16505550100*101".into()),
        };
        assert_eq!(phone(&core), Some(logged_in.clone()));
        // A new worker restores it; a phone's own announcement wins over the kept one.
        let next = BackgroundCore::default();
        next.restore_phone_login(kept);
        assert_eq!(phone(&next), Some(logged_in));
        announce(
            json!({"type": "rc-login-status-notify", "loggedIn": false, "loginNumber": "+1*1"}),
        );
        core.restore_phone_login(kept);
        let logged_out = PhoneLogin {
            logged_in: false,
            login_number: None,
        };
        assert_eq!(phone(&core), Some(logged_out));
        // A page that was not admitted cannot say anything about the phone.
        let stranger = Caller::new(CallerKind::ExtensionPage, Some(3));
        let forged = block_on(core.handle(
            ToBackground::FromWidget {
                message: json!({"type": "rc-login-status-notify", "loggedIn": true}),
            },
            &stranger,
        ));
        assert!(forged.effects.is_empty());
    }

    #[test]
    fn every_widget_request_is_answered_with_its_id() {
        let core = BackgroundCore::default();
        let caller = admitted_caller(&core);
        let handled = block_on(core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-post-message-request", "requestId": "r1", "path": "/nope"}),
        }, &caller));
        let Reply::ToWidget { messages } = handled.reply else {
            panic!("expected widget messages")
        };
        assert_eq!(messages[0].value()["responseId"], "r1");
        assert_eq!(messages[0].value()["type"], "rc-post-message-response");
        assert!(messages[0].value()["response"]["error"]
            .as_str()
            .unwrap()
            .contains("/nope"));
    }

    #[test]
    fn widget_events_need_no_answer() {
        let core = BackgroundCore::default();
        let caller = admitted_caller(&core);
        let handled = block_on(core.handle(
            ToBackground::FromWidget {
                message: json!({"type": "rc-login-status-notify", "loggedIn": true}),
            },
            &caller,
        ));
        assert_eq!(handled.reply, Reply::ToWidget { messages: vec![] });
    }

    #[test]
    fn registration_follows_the_settings() {
        let core = BackgroundCore::default();
        let mut settings = Settings::default();
        settings.services.message_logging = false;
        core.set_settings(settings);
        let caller = admitted_caller(&core);
        let Reply::ToWidget { messages } =
            block_on(core.handle(ToBackground::Register, &caller)).reply
        else {
            panic!("expected the registration")
        };
        assert_eq!(
            messages[0].value()["type"],
            "rc-adapter-register-third-party-service"
        );
        assert_eq!(messages[0].value()["service"]["name"], "crm-bridge");
        assert!(messages[0].value()["service"]
            .get("messageLoggerPath")
            .is_none());
        assert!(messages[0].value()["service"]["settings"]
            .as_array()
            .is_some());
    }

    /// The phone's settings page switching its first toggle (`openRecordOnRing`) off.
    fn turn_first_toggle_off(core: &BackgroundCore) -> Handled {
        let caller = admitted_caller(core);
        let mut items = default_widget_settings();
        items[0]["value"] = json!(false);
        block_on(core.handle(ToBackground::FromWidget {
            message: json!({"type": "rc-post-message-request", "requestId": "s1", "path": "/settings",
                            "body": {"settings": items, "setting": items[0]}}),
        }, &caller))
    }

    #[test]
    fn widget_settings_changes_are_kept_and_registered_again() {
        let core = BackgroundCore::default();
        let handled = turn_first_toggle_off(&core);
        let [Effect::SaveWidgetToggles(toggles)] = handled.effects.as_slice() else {
            panic!("expected the values to be saved: {:?}", handled.effects)
        };
        // The edge saves them in the settings turn, with the settings as they are then.
        let saved = core.settings_with_widget_toggles(toggles.clone());
        let values = &saved.widget_toggles;
        assert_eq!(values["openRecordOnRing"], json!(false));
        // Once the edge stored them, a later settings write (a site switched on) keeps them.
        core.set_settings(saved.clone());
        let on = ask(
            &core,
            ToBackground::EnableSite {
                url: "https://crm.example.com/".into(),
                subdomains: false,
            },
        );
        assert!(on.effects.iter().any(|e| matches!(e,
            Effect::SaveSettings(s) if s.widget_toggles["openRecordOnRing"] == json!(false))));
        // After a worker restart the stored values come back through the settings.
        let restarted = BackgroundCore::default();
        let settings = Settings {
            widget_toggles: values.clone(),
            ..Default::default()
        };
        restarted.set_settings(settings);
        let caller = admitted_caller(&restarted);
        let Reply::ToWidget { messages } =
            block_on(restarted.handle(ToBackground::Register, &caller)).reply
        else {
            panic!()
        };
        assert_eq!(
            messages[0].value()["service"]["settings"][0]["value"],
            false
        );
    }

    /// What the edge does with a request's settings write: applies it (storage aside).
    fn apply_saved_settings(core: &BackgroundCore, effects: Vec<Effect>) {
        for effect in effects {
            if let Effect::SaveSettings(settings) = effect {
                core.set_settings(*settings);
            }
        }
    }

    #[test]
    fn the_phones_toggles_saved_while_a_site_is_switched_off_keep_the_site_off() {
        // Seen in Firefox: the phone's settings changed while the popup switched the site off;
        // the toggles' write, computed from the settings before the switch-off was stored,
        // was applied after it and switched the site back on.
        use futures_util::FutureExt;
        let core = BackgroundCore::default();
        let url = "https://crm.example.com/contacts";
        let envelope = |id: u32, body: ToBackground| json!({"id": id, "body": body}).to_string();
        let on = ToBackground::EnableSite {
            url: url.into(),
            subdomains: false,
        };
        let on = block_on(core.handle_text(&envelope(1, on), &page())).unwrap();
        apply_saved_settings(&core, on.effects);
        drop(on.turn);
        assert!(core.settings().enables_url(url));

        let off = ToBackground::DisableSite { url: url.into() };
        let off = block_on(core.handle_text(&envelope(2, off), &page())).unwrap();
        assert!(off.turn.is_some(), "switching off holds the settings turn");
        // The toggles arrive while the switch-off is being stored.
        let toggled = turn_first_toggle_off(&core);
        let [Effect::SaveWidgetToggles(toggles)] = toggled.effects.as_slice() else {
            panic!(
                "the toggles are saved in their turn, not from the settings they came with: {:?}",
                toggled.effects
            )
        };
        let mut turn = Box::pin(core.settings_turn());
        assert!(
            (&mut turn).now_or_never().is_none(),
            "their turn waits for the switch-off"
        );
        apply_saved_settings(&core, off.effects);
        drop(off.turn);
        let _turn = block_on(turn);
        let saved = core.settings_with_widget_toggles(toggles.clone());
        assert!(!saved.enables_url(url), "the site stays off");
        assert_eq!(saved.widget_toggles["openRecordOnRing"], json!(false));
    }

    #[test]
    fn every_request_that_saves_settings_takes_the_settings_turn() {
        let core = BackgroundCore::default();
        let url = "https://crm.example.com/contacts";
        let requests = [
            ToBackground::EnableSite {
                url: url.into(),
                subdomains: false,
            },
            ToBackground::SaveSiteOptions {
                site: "https://crm.example.com".into(),
                options: Default::default(),
            },
            ToBackground::SetSiteCountry {
                site: "https://crm.example.com".into(),
                country: "FR".into(),
            },
            ToBackground::DisableSite { url: url.into() },
            ToBackground::SetAllSites {
                on: true,
                except: String::new(),
            },
            ToBackground::SaveSettings {
                settings: json!({}),
            },
            ToBackground::SaveOptions {
                changes: json!({ "ownNumbers": ["+16505550100"] }),
            },
            ToBackground::ForgetSite {
                site: "https://crm.example.com".into(),
            },
        ];
        for (id, request) in requests.into_iter().enumerate() {
            let text = json!({"id": id, "body": request}).to_string();
            let answered = block_on(core.handle_text(&text, &page())).unwrap();
            let saves = answered
                .effects
                .iter()
                .any(|e| matches!(e, Effect::SaveSettings(_)));
            assert!(saves, "{text} saves settings");
            assert!(answered.turn.is_some(), "{text} holds the turn");
            apply_saved_settings(&core, answered.effects);
        }
        let quiet = json!({"id": 9, "body": ToBackground::GetSettings}).to_string();
        assert!(block_on(core.handle_text(&quiet, &page()))
            .unwrap()
            .turn
            .is_none());
    }

    #[test]
    fn authorization_updates_reach_the_widget_after_the_answer() {
        let core = BackgroundCore::default();
        let caller = admitted_caller(&core);
        let handled = block_on(core.handle(
            ToBackground::FromWidget {
                message: json!({"type": "rc-post-message-request", "requestId": "a1",
                            "path": "/authorize", "body": {"authorized": true}}),
            },
            &caller,
        ));
        let Reply::ToWidget { messages } = handled.reply else {
            panic!()
        };
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].value()["responseId"], "a1");
        assert_eq!(
            messages[1].value()["type"],
            "rc-adapter-update-authorization-status"
        );
        assert_eq!(messages[1].value()["authorized"], false);
    }

    #[test]
    fn widget_traffic_needs_an_admitted_port() {
        let core = BackgroundCore::default();
        let stranger = page();
        let request =
            json!({"type": "rc-post-message-request", "requestId": "x", "path": "/contacts"});
        for body in [
            ToBackground::Register,
            ToBackground::FromWidget { message: request },
        ] {
            let handled = block_on(core.handle(body, &stranger));
            assert!(
                matches!(handled.reply, Reply::Error { .. }),
                "{:?}",
                handled.reply
            );
        }
        // A made-up ticket does not admit.
        let reply = block_on(core.handle(
            ToBackground::Admit {
                ticket: "guess".into(),
            },
            &stranger,
        ))
        .reply;
        assert_eq!(
            reply,
            Reply::Admitted {
                ok: false,
                pass: None
            }
        );
        assert!(!stranger.is_admitted());
    }

    #[test]
    fn a_framed_host_is_admitted_only_through_its_own_claim_code_vouched_for_in_its_tab() {
        let core = BackgroundCore::default();
        let content = Caller::new(CallerKind::ContentScript, Some(5))
            .in_frame(Some(0))
            .on_site(Some("https://crm.example.com".into()));
        let refused = |request, caller: &Caller| {
            let reply = block_on(core.handle(request, caller)).reply;
            assert!(
                matches!(
                    reply,
                    Reply::Error { .. } | Reply::Admitted { ok: false, .. }
                ),
                "{reply:?}"
            );
        };
        // A content script lives in the page's tab: it never holds a ticket.
        refused(ToBackground::WidgetTicket, &content);
        let host = Caller::new(CallerKind::ExtensionPage, Some(5)).in_frame(Some(3));
        let claim =
            |caller: &Caller| match block_on(core.handle(ToBackground::ClaimCode, caller)).reply {
                Reply::ClaimCode { code } => code,
                other => panic!("{other:?}"),
            };
        let vouch = |code: &str, caller: &Caller| {
            let body = ToBackground::VouchForHost { code: code.into() };
            block_on(core.handle(body, caller)).reply == Reply::Vouched { ok: true }
        };
        // Not vouched for: the code admits nothing; a host cannot vouch for itself.
        let code = claim(&host);
        refused(
            ToBackground::Admit {
                ticket: code.clone(),
            },
            &host,
        );
        let code = claim(&host);
        assert!(!vouch(&code, &host), "a host cannot vouch for itself");
        // Vouched from another tab: spent.
        let code = claim(&host);
        let other_tab = Caller::new(CallerKind::ContentScript, Some(6));
        assert!(!vouch(&code, &other_tab));
        assert!(!vouch(&code, &content), "spent");
        // A page read the code and frames a host of its own in the same tab: another frame.
        let code = claim(&host);
        assert!(vouch(&code, &content));
        let page_frame = Caller::new(CallerKind::ExtensionPage, Some(5)).in_frame(Some(4));
        refused(
            ToBackground::Admit {
                ticket: code.clone(),
            },
            &page_frame,
        );
        refused(ToBackground::Admit { ticket: code }, &host);
        // The host's own, vouched-for code admits it.
        let code = claim(&host);
        assert!(vouch(&code, &content));
        let handled = block_on(core.handle(ToBackground::Admit { ticket: code }, &host));
        let Reply::Admitted {
            ok: true,
            pass: Some(pass),
        } = handled.reply
        else {
            panic!("{:?}", handled.reply)
        };
        assert_eq!(
            host.site.borrow().as_deref(),
            Some("https://crm.example.com"),
            "its calls are handled for the page's site"
        );
        assert!(host.is_admitted());
        assert!(
            matches!(handled.effects.as_slice(), [Effect::KeepPasses(kept)] if kept.contains_key(&pass))
        );
        // After a worker restart: a new core, a new port, the kept pass.
        let restarted = BackgroundCore::default();
        if let [Effect::KeepPasses(kept)] = handled.effects.as_slice() {
            restarted.restore_passes(kept.clone());
        }
        let new_port = Caller::new(CallerKind::ExtensionPage, Some(5));
        let reply =
            block_on(restarted.handle(ToBackground::Resume { pass: pass.clone() }, &new_port))
                .reply;
        assert_eq!(
            reply,
            Reply::Admitted {
                ok: true,
                pass: None
            }
        );
        assert!(new_port.is_admitted());
        assert_eq!(
            new_port.site.borrow().as_deref(),
            Some("https://crm.example.com"),
            "the site survives the restart with the pass"
        );
        let elsewhere = Caller::new(CallerKind::ExtensionPage, Some(9));
        block_on(restarted.handle(ToBackground::Resume { pass }, &elsewhere));
        assert!(!elsewhere.is_admitted(), "a pass works only in its tab");
    }

    /// People `from`…`to` of `site`, named `name n`, each with one business number.
    fn people(site: &str, from: usize, to: usize, name: &str) -> Vec<Contact> {
        (from..to)
            .map(|n| Contact {
                id: format!("{site}/c/{n}"),
                name: format!("{name} {n}"),
                phone_numbers: vec![crate::contacts::ContactPhone {
                    phone_number: format!("+1206555{n:04}"),
                    phone_type: "business".into(),
                    display: None,
                }],
                ..Contact::default()
            })
            .collect()
    }

    #[test]
    fn a_page_that_floods_new_people_is_held_back_and_known_people_are_still_updated() {
        let clock = std::rc::Rc::new(Cell::new(0.0));
        let now = clock.clone();
        let core = BackgroundCore::new(
            0.0,
            0.0,
            Environment {
                now_ms: Box::new(move || now.get()),
                ..Environment::default()
            },
        );
        core.restore_errors(RecentErrors::default()); // as at every wake-up
        let settings = json!({ "sites": ["https://crm.example.com", "https://b.example.com"],
            "limits": { "perSite": 5, "total": 8, "newPerMinute": 4 } });
        core.set_settings(Settings::from_json(&settings.to_string()).unwrap());
        let store = |page: &str, contacts| {
            block_on(core.store_discovered(page, contacts, PageNotes::default())).unwrap()
        };
        let page = "https://crm.example.com/forum";
        let held = |page: &str| core.page_readings.borrow()[page].held_back;
        // The minute's rate: 4 new people of 6.
        let (first, _) = store(page, people("a", 0, 6, "Poster"));
        assert_eq!(first.added, 4);
        assert_eq!(
            held(page),
            Some(HeldBack::TooFast.note(&core.settings().limits))
        );
        assert_eq!(
            core.page_quiet_for_ms(page),
            Some(60_000.0),
            "not read for the minute"
        );
        // A minute later the site's cap: 1 more of 3, while the 4 known are still updated.
        clock.set(61_000.0);
        let mut again = people("a", 0, 4, "Renamed");
        again.extend(people("a", 10, 13, "Poster"));
        let (second, effects) = store(page, again);
        assert_eq!((second.added, second.changed), (1, 4));
        assert_eq!(held(page).map(|h| h.reason), Some(HeldBack::SiteFull));
        assert!(
            effects.iter().any(
                |e| matches!(e, Effect::KeepErrors(text) if text.contains("holds 5 contacts"))
            ),
            "the user is told: {effects:?}"
        );
        // The total cap: the other site may add 3 of its 5.
        let (other, _) = store("https://b.example.com/list", people("b", 0, 5, "B"));
        assert_eq!(other.added, 3);
        assert_eq!(
            held("https://b.example.com/list").map(|h| h.reason),
            Some(HeldBack::StoreFull)
        );
        let count = |site| block_on(core.router().contacts().count(site)).unwrap();
        assert_eq!(
            (
                count("https://crm.example.com"),
                count("https://b.example.com")
            ),
            (5, 3)
        );
    }

    #[test]
    fn a_whole_list_read_the_user_asked_for_adds_past_the_minutes_rate() {
        let core = BackgroundCore::default();
        let settings = json!({ "sites": ["https://crm.example.com"],
            "limits": { "perSite": 100, "total": 100, "newPerMinute": 4 } });
        core.set_settings(Settings::from_json(&settings.to_string()).unwrap());
        let people = |from, to| people("a", from, to, "Person");
        let page = "https://crm.example.com/feed";
        let store = |contacts| {
            block_on(core.store_discovered(page, contacts, PageNotes::default()))
                .unwrap()
                .0
                .added
        };
        assert_eq!(store(people(0, 6)), 4, "the rate holds without the user");
        assert!(core.page_quiet_for_ms(page).is_some());
        let popup = Caller::new(CallerKind::ExtensionPage, Some(1));
        let ask = |site: &str| {
            block_on(core.handle(ToBackground::AllowWholeList { site: site.into() }, &popup)).reply
        };
        assert!(matches!(
            ask("https://elsewhere.example.com"),
            Reply::Error { .. }
        ));
        assert_eq!(ask("https://crm.example.com"), Reply::Done);
        assert_eq!(core.page_quiet_for_ms(page), None, "read again at once");
        assert_eq!(store(people(0, 40)), 36, "the rest of the list");
    }

    #[test]
    fn a_site_that_keeps_only_chosen_pages_adds_contacts_only_from_them_and_updates_the_kept() {
        let core = BackgroundCore::default();
        let settings = json!({ "sites": ["https://crm.example.com"],
            "siteOptions": { "https://crm.example.com": { "keepOnly": ["/lists/vip"] } } });
        core.set_settings(Settings::from_json(&settings.to_string()).unwrap());
        let person = |id: &str, name: &str| Contact {
            id: id.into(),
            name: name.into(),
            phone_numbers: vec![crate::contacts::ContactPhone {
                phone_number: "+12065550147".into(),
                phone_type: "business".into(),
                display: None,
            }],
            ..Contact::default()
        };
        let store = |page: &str, contacts| {
            block_on(core.store_discovered(page, contacts, PageNotes::default()))
                .unwrap()
                .0
        };
        let elsewhere = store(
            "https://crm.example.com/contacts",
            vec![
                person("/c/1", "Ada Lovelace"),
                person("/c/2", "Alan Turing"),
            ],
        );
        assert_eq!(
            elsewhere,
            WriteSummary::default(),
            "nothing new from other pages"
        );
        let chosen = store(
            "https://crm.example.com/lists/vip?page=2",
            vec![person("/c/1", "Ada Lovelace")],
        );
        assert_eq!(chosen.added, 1);
        // Ada's own record page is not a chosen page, but she is kept: she is updated there.
        let record = store(
            "https://crm.example.com/c/1",
            vec![person("/c/1", "Ada King"), person("/c/2", "Alan Turing")],
        );
        assert_eq!((record.added, record.changed), (0, 1));
        let count = block_on(core.router().contacts().count("https://crm.example.com")).unwrap();
        assert_eq!(count, 1);
        // A bulk import of a list that is not chosen is refused before it starts.
        let refused = ask(
            &core,
            ToBackground::StartImport {
                url: "https://crm.example.com/contacts".into(),
                api: false,
            },
        );
        assert!(
            matches!(refused.reply, Reply::Error { ref message } if message.contains("not one of them")),
            "{:?}",
            refused.reply
        );
    }

    #[test]
    fn what_discovery_finds_is_stored_for_the_pages_site_and_shown_in_the_popup() {
        let core = BackgroundCore::default();
        let settings = json!({ "sites": ["https://crm.example.com"] });
        core.set_settings(Settings::from_json(&settings.to_string()).unwrap());
        let page = "https://crm.example.com/contacts/7";
        let seen = |name: &str, partial: bool| Contact {
            id: "/contacts/7".into(),
            name: name.into(),
            phone_numbers: vec![crate::contacts::ContactPhone {
                phone_number: "+12065550147".into(),
                phone_type: "business".into(),
                display: None,
            }],
            partial,
            seen_at: Some(if partial { 2_000.0 } else { 1_000.0 }),
            ..Contact::default()
        };
        let (summary, effects) = block_on(core.store_discovered(
            page,
            vec![seen("Ada Lovelace", false)],
            PageNotes::default(),
        ))
        .unwrap();
        assert_eq!(summary.added, 1);
        assert_eq!(effects, vec![Effect::ContactsChanged]);
        // The list row of the same record adds nothing and changes nothing: no re-sync.
        let (again, effects) = block_on(core.store_discovered(
            "https://crm.example.com/contacts",
            vec![seen("A. L.", true)],
            PageNotes::default(),
        ))
        .unwrap();
        assert_eq!((again.unchanged, effects.len()), (1, 0));
        // The options page shows when the site's pages last gave contacts, changed or not.
        let Reply::ContactCounts { sites, last_read } =
            ask(&core, ToBackground::ContactCounts).reply
        else {
            panic!()
        };
        assert_eq!(sites["https://crm.example.com"], 1);
        assert_eq!(last_read["https://crm.example.com"], 2_000.0);
        let status = ask(&core, ToBackground::SiteStatus { url: page.into() });
        let Reply::Site(status) = status.reply else {
            panic!()
        };
        assert_eq!(status.contacts, Some(1));
        assert_eq!(
            status.page,
            Some(PageReading {
                found: 1,
                ..PageReading::default()
            })
        );
        // A page of a site that is off stores nothing.
        let refused = block_on(core.store_discovered(
            "https://other.example/x",
            vec![seen("X", false)],
            PageNotes::default(),
        ));
        assert!(refused.is_err());
    }

    #[test]
    fn switching_a_site_on_asks_permission_first_and_injects_last() {
        let core = BackgroundCore::default();
        let url = "http://127.0.0.1:4000/contacts";
        let off = ask(&core, ToBackground::SiteStatus { url: url.into() });
        assert_eq!(
            off.reply,
            Reply::Site(SiteStatus {
                site: Some("http://127.0.0.1".into()),
                enabled_as: None,
                all_sites: false,
                problem: None,
                contacts: None,
                page: None,
                phone: None,
                api_import: false,
            })
        );
        let on = ask(
            &core,
            ToBackground::EnableSite {
                url: url.into(),
                subdomains: false,
            },
        );
        let pattern = "http://127.0.0.1/*".to_owned();
        let [Effect::RequirePermission(asked), Effect::SaveSettings(saved), Effect::RegisterSites, Effect::InjectWidget(injected)] =
            on.effects.as_slice()
        else {
            panic!("{:?}", on.effects)
        };
        assert_eq!((asked, injected), (&pattern, &pattern));
        assert!(saved.enables_url(url));
        assert!(
            !core.settings().enables_url(url),
            "nothing changes before the edge saved it"
        );
        core.set_settings(*saved.clone());
        let off = ask(&core, ToBackground::DisableSite { url: url.into() });
        assert!(matches!(
            off.effects.as_slice(),
            [Effect::SaveSettings(s), Effect::RegisterSites, Effect::RemoveWidget(p), Effect::ReleasePermission(_)]
                if !s.enables_url(url) && p == &pattern
        ));
    }

    #[test]
    fn the_all_sites_mode_asks_for_all_sites_first_and_a_page_switched_off_becomes_an_exception() {
        let core = BackgroundCore::default();
        let listed = "https://crm.example.com/contacts";
        let other = "https://help.example.org/tickets/7";
        core.set_settings(Settings::from_json(r#"{"sites":["https://crm.example.com"]}"#).unwrap());
        let refused = ask(
            &core,
            ToBackground::SetAllSites {
                on: true,
                except: "bank.example\n*".into(),
            },
        );
        assert!(
            matches!(&refused.reply, Reply::Error { message } if message.starts_with("line 2: ")),
            "{:?}",
            refused.reply
        );
        assert!(refused.effects.is_empty(), "nothing changes");

        let on = ask(
            &core,
            ToBackground::SetAllSites {
                on: true,
                except: "bank.example\n\n  mail.example.org ".into(),
            },
        );
        let all = ALL_SITES_PATTERNS.map(String::from);
        let [Effect::RequirePermission(a), Effect::RequirePermission(b), Effect::SaveSettings(saved), Effect::RegisterSites, Effect::InjectWidget(c), Effect::InjectWidget(d)] =
            on.effects.as_slice()
        else {
            panic!("{:?}", on.effects)
        };
        assert_eq!([a, b, c, d], [&all[0], &all[1], &all[0], &all[1]]);
        assert_eq!(saved.all_sites.except.len(), 2);
        core.set_settings(*saved.clone());
        let status =
            |url: &str| match ask(&core, ToBackground::SiteStatus { url: url.into() }).reply {
                Reply::Site(status) => (status.enabled_as, status.all_sites),
                other => panic!("{other:?}"),
            };
        assert_eq!(
            status(other),
            (Some("https://help.example.org".into()), true)
        );
        assert_eq!(
            status(listed),
            (Some("https://crm.example.com".into()), false)
        );
        assert_eq!(status("https://bank.example/"), (None, false));

        // Switched off from the popup: the page's host joins the exceptions.
        let off = ask(&core, ToBackground::DisableSite { url: other.into() });
        let [Effect::SaveSettings(saved), Effect::RegisterSites, Effect::RemoveWidget(removed)] =
            off.effects.as_slice()
        else {
            panic!("{:?}", off.effects)
        };
        assert_eq!(removed, "https://help.example.org/*");
        assert!(!saved.enables_url(other));
        core.set_settings(*saved.clone());
        // And switched on again: listed, and no longer an exception.
        let again = ask(
            &core,
            ToBackground::EnableSite {
                url: other.into(),
                subdomains: false,
            },
        );
        let Effect::SaveSettings(saved) = &again.effects[1] else {
            panic!("{:?}", again.effects)
        };
        assert_eq!(saved.all_sites.except.len(), 2);
        assert!(saved
            .sites
            .iter()
            .any(|s| s.to_string() == "https://help.example.org"));
        core.set_settings(*saved.clone());

        // Off: the access goes back before the registration is rebuilt; open tabs lose the
        // widget unless their site is listed (the edge checks each tab).
        let off = ask(
            &core,
            ToBackground::SetAllSites {
                on: false,
                except: String::new(),
            },
        );
        let [Effect::SaveSettings(saved), Effect::RemoveWidget(a), Effect::RemoveWidget(b), Effect::ReleasePermission(c), Effect::ReleasePermission(d), Effect::RegisterSites] =
            off.effects.as_slice()
        else {
            panic!("{:?}", off.effects)
        };
        assert_eq!([a, b, c, d], [&all[0], &all[1], &all[0], &all[1]]);
        assert!(saved.enables_url(listed) && saved.enables_url(other));
        assert!(!saved.enables_url("https://news.example.net/"));
    }

    #[test]
    fn browser_pages_cannot_be_switched_on() {
        let core = BackgroundCore::default();
        let status = ask(
            &core,
            ToBackground::SiteStatus {
                url: "chrome://extensions/".into(),
            },
        );
        let Reply::Site(status) = status.reply else {
            panic!()
        };
        assert!(status.site.is_none() && status.problem.is_some());
        let on = ask(
            &core,
            ToBackground::EnableSite {
                url: "about:blank".into(),
                subdomains: false,
            },
        );
        assert!(matches!(on.reply, Reply::Error { .. }) && on.effects.is_empty());
    }

    #[test]
    fn only_admitted_hosts_and_the_popup_open_the_phone_window() {
        let core = BackgroundCore::default();
        let stranger = Caller::new(CallerKind::ExtensionPage, Some(4)); // framed in some page
        let refused = block_on(core.handle(ToBackground::OpenPhoneWindow, &stranger));
        assert!(matches!(refused.reply, Reply::Error { .. }) && refused.effects.is_empty());
        let host = admitted_caller(&core);
        let opened = block_on(core.handle(ToBackground::OpenPhoneWindow, &host));
        let [Effect::OpenPhoneWindow { ticket }] = opened.effects.as_slice() else {
            panic!()
        };
        // The ticket admits the window's host.
        let window = Caller::new(CallerKind::ExtensionPage, Some(9));
        let admitted = block_on(core.handle(
            ToBackground::Admit {
                ticket: ticket.clone(),
            },
            &window,
        ))
        .reply;
        assert!(matches!(admitted, Reply::Admitted { ok: true, .. }));
    }

    #[test]
    fn bad_settings_are_refused_whole_and_change_nothing() {
        let core = BackgroundCore::default();
        for bad in [
            json!({ "widget": { "appUrl": "http://evil.test/app.html" } }),
            json!({ "sites": ["*"] }),
            json!({ "sites": ["<all_urls>"] }),
            json!({ "sites": ["http://*/*"] }),
            json!({ "schemaVersion": 999 }),
            json!("not settings"),
        ] {
            let handled = ask(
                &core,
                ToBackground::SaveSettings {
                    settings: bad.clone(),
                },
            );
            assert!(
                matches!(handled.reply, Reply::Error { .. }),
                "{bad}: {:?}",
                handled.reply
            );
            assert!(handled.effects.is_empty(), "{bad}");
        }
        let good = json!({ "widget": { "clientId": "abc" }, "sites": ["crm.example.com"] });
        let handled = ask(&core, ToBackground::SaveSettings { settings: good });
        assert!(
            matches!(handled.effects.as_slice(), [Effect::SaveSettings(s), Effect::RegisterSites] if s.widget.client_id == "abc")
        );
    }

    #[test]
    fn a_listed_site_can_be_forgotten() {
        let core = BackgroundCore::default();
        core.set_settings(Settings::from_json(r#"{"sites":["https://*.example.com"]}"#).unwrap());
        let handled = ask(
            &core,
            ToBackground::ForgetSite {
                site: "https://*.example.com".into(),
            },
        );
        assert!(matches!(
            handled.effects.as_slice(),
            [Effect::SaveSettings(s), Effect::RegisterSites, Effect::RemoveWidget(p), Effect::ReleasePermission(_)]
                if s.sites.is_empty() && p == "https://*.example.com/*"
        ));
    }

    #[test]
    fn a_recipe_may_send_logs_only_to_its_own_site() {
        let core = BackgroundCore::default();
        core.set_settings(Settings::from_json(r#"{"sites":["*.example.com"]}"#).unwrap());
        let save = |log: &str| {
            let recipe = json!({ "version": 1, "log": log }).to_string();
            ask(
                &core,
                ToBackground::SaveSiteOptions {
                    site: "*.example.com".into(),
                    options: SiteOptionsText {
                        recipe,
                        ..SiteOptionsText::default()
                    },
                },
            )
        };
        for (log, says) in [
            (
                "https://crm.elsewhere.net/api",
                "is not on https://*.example.com",
            ),
            ("http://eu.example.com/api", "only over https"),
            ("/api/activities", "full address"),
        ] {
            let refused = save(log);
            assert!(
                matches!(&refused.reply, Reply::Error { message } if message.contains(says)),
                "{log}: {:?}",
                refused.reply
            );
        }
        let saved = save("https://eu.example.com/api/activities");
        assert!(
            matches!(saved.reply, Reply::Settings { .. }),
            "{:?}",
            saved.reply
        );
    }

    #[test]
    fn site_options_are_saved_whole_or_refused_with_the_line_and_forgotten_with_the_site() {
        let core = BackgroundCore::default();
        core.set_settings(Settings::from_json(r#"{"sites":["crm.example.com"]}"#).unwrap());
        let save = |site: &str, dnc: &str| {
            ask(
                &core,
                ToBackground::SaveSiteOptions {
                    site: site.into(),
                    options: SiteOptionsText {
                        do_not_contact: dnc.into(),
                        restrict: true,
                        log_form: "Outcome: Won | Lost".into(),
                        ..SiteOptionsText::default()
                    },
                },
            )
        };
        let refused = save("crm.example.com", "+12065550147\nnot a number");
        assert!(
            matches!(&refused.reply, Reply::Error { message } if message.contains("line 2")),
            "{:?}",
            refused.reply
        );
        assert!(refused.effects.is_empty());
        let elsewhere = save("other.example.com", "+12065550147");
        assert!(matches!(elsewhere.reply, Reply::Error { .. }));

        let saved = save("crm.example.com", "+12065550147, asked");
        let [Effect::SaveSettings(settings)] = saved.effects.as_slice() else {
            panic!("{:?}", saved.effects)
        };
        core.set_settings((**settings).clone());
        let verdict = block_on(
            core.router()
                .state()
                .do_not_contact(&["+12065550147".into()]),
        );
        assert!(verdict.unwrap().result, "the stored list is used at once");

        let forgotten = ask(
            &core,
            ToBackground::ForgetSite {
                site: "crm.example.com".into(),
            },
        );
        assert!(matches!(
            forgotten.effects.as_slice(),
            [Effect::SaveSettings(s), ..] if s.site_options.is_empty() && s.sites.is_empty()
        ));
    }

    #[test]
    fn a_sites_country_is_set_alone_keeping_its_other_options() {
        let core = BackgroundCore::default();
        core.set_settings(
            Settings::from_json(
                r#"{"sites":["https://crm.example.com"],
                    "siteOptions":{"https://crm.example.com":{"keepOnly":["/vip"]}}}"#,
            )
            .unwrap(),
        );
        let set = |country: &str| {
            ask(
                &core,
                ToBackground::SetSiteCountry {
                    site: "https://crm.example.com".into(),
                    country: country.into(),
                },
            )
        };
        let refused = set("France");
        assert!(
            matches!(&refused.reply, Reply::Error { message } if message.contains("two-letter")),
            "{:?}",
            refused.reply
        );
        assert!(refused.effects.is_empty());
        let saved = set("fr");
        let [Effect::SaveSettings(settings)] = saved.effects.as_slice() else {
            panic!("{:?}", saved.effects)
        };
        let site = SitePattern::parse("https://crm.example.com").unwrap();
        let options = &settings.site_options[&site];
        assert_eq!(options.country.as_deref(), Some("FR"));
        assert_eq!(options.keep_only, ["/vip"], "the other options stay");
        assert_eq!(
            settings.region_for_url("https://crm.example.com/people/7"),
            Some("FR")
        );
        let off_site = ask(
            &core,
            ToBackground::SetSiteCountry {
                site: "https://other.example.com".into(),
                country: "FR".into(),
            },
        );
        assert!(matches!(off_site.reply, Reply::Error { .. }));
    }

    /// Asks to import chunk `part` of batch `id` (`count` people numbered from `first`).
    fn import_part(
        core: &BackgroundCore,
        id: &str,
        part: u32,
        last: bool,
        first: usize,
        count: usize,
    ) -> Handled {
        let contacts = (first..first + count)
            .map(|i| crate::contacts::Contact {
                id: i.to_string(),
                name: format!("Person {i}"),
                ..Default::default()
            })
            .collect();
        ask(
            core,
            ToBackground::ImportContacts {
                site: "crm.example.com".into(),
                contacts,
                batch: Some(crate::protocol::bridge::ImportBatch {
                    id: id.into(),
                    part,
                    last,
                }),
            },
        )
    }

    fn site_count(core: &BackgroundCore) -> usize {
        let Reply::ContactCounts { sites, .. } = ask(core, ToBackground::ContactCounts).reply
        else {
            panic!()
        };
        sites["https://crm.example.com"]
    }

    #[test]
    fn a_batch_is_kept_whole_when_its_last_part_arrives_and_not_at_all_when_broken() {
        let core = BackgroundCore::default();
        core.set_settings(Settings::from_json(r#"{"sites":["crm.example.com"]}"#).unwrap());
        let first = import_part(&core, "a", 0, false, 0, 3);
        assert_eq!(first.reply, Reply::ImportWritten { count: 3 });
        assert!(
            first.effects.is_empty(),
            "nothing kept yet, nothing to sync"
        );
        assert_eq!(
            import_part(&core, "a", 1, false, 3, 2).reply,
            Reply::ImportWritten { count: 2 }
        );
        assert_eq!(site_count(&core), 0, "written, not kept");
        let last = import_part(&core, "a", 2, true, 5, 1);
        assert_eq!(last.reply, Reply::Imported { count: 6 });
        assert_eq!(last.effects, vec![Effect::ContactsChanged]);
        assert_eq!(site_count(&core), 6);

        assert_eq!(
            import_part(&core, "b", 0, false, 10, 4).reply,
            Reply::ImportWritten { count: 4 }
        );
        let skipped = import_part(&core, "b", 2, true, 14, 1);
        assert!(
            matches!(skipped.reply, Reply::Error { ref message } if message.contains("out of order"))
        );
        let after = import_part(&core, "b", 1, true, 14, 1);
        assert!(
            matches!(after.reply, Reply::Error { ref message } if message.contains("nothing of it was kept"))
        );
        assert_eq!(site_count(&core), 6, "nothing of the broken batch");
    }

    #[test]
    fn imported_contacts_are_counted_synced_and_forgotten_with_their_site() {
        let core = BackgroundCore::default();
        core.set_settings(Settings::from_json(r#"{"sites":["crm.example.com"]}"#).unwrap());
        let contacts = vec![crate::contacts::Contact {
            id: "7".into(),
            name: "Imported Person".into(),
            ..Default::default()
        }];
        let refused = ask(
            &core,
            ToBackground::ImportContacts {
                site: "other.example.com".into(),
                contacts: contacts.clone(),
                batch: None,
            },
        );
        assert!(
            matches!(refused.reply, Reply::Error { .. }),
            "only enabled sites"
        );
        let imported = ask(
            &core,
            ToBackground::ImportContacts {
                site: "crm.example.com".into(),
                contacts,
                batch: None,
            },
        );
        assert_eq!(imported.reply, Reply::Imported { count: 1 });
        assert_eq!(imported.effects, vec![Effect::ContactsChanged]);
        let none = ask(
            &core,
            ToBackground::RemoveContacts {
                site: "crm.example.com".into(),
                ids: vec!["unknown".into()],
            },
        );
        assert_eq!(none.reply, Reply::Removed { count: 0 });
        assert!(none.effects.is_empty(), "nothing changed, no re-sync");
        let counts = ask(&core, ToBackground::ContactCounts);
        let Reply::ContactCounts { sites, last_read } = counts.reply else {
            panic!()
        };
        assert_eq!(sites["https://crm.example.com"], 1);
        assert!(
            last_read.is_empty(),
            "a file import is no reading of the site"
        );
        let exported = ask(
            &core,
            ToBackground::ExportContacts {
                site: "crm.example.com".into(),
            },
        );
        assert!(
            matches!(&exported.reply, Reply::Contacts { contacts } if contacts[0].id == "7"),
            "{:?}",
            exported.reply
        );
        let forgotten = ask(
            &core,
            ToBackground::ForgetSite {
                site: "crm.example.com".into(),
            },
        );
        assert!(forgotten.effects.contains(&Effect::ContactsChanged));
        let synced = block_on(core.router().contacts().contacts_page(Some(1), 1)).unwrap();
        assert!(
            synced.contacts[0].deleted,
            "the widget hears of it as deleted: true"
        );
    }

    #[test]
    fn a_recipe_is_tried_on_an_open_tab_of_an_enabled_site_only_when_it_parses() {
        let core = BackgroundCore::default();
        core.set_settings(Settings::from_json(r#"{"sites":["crm.example.com"]}"#).unwrap());
        let preview = |site: &str, recipe: &str| {
            ask(
                &core,
                ToBackground::PreviewRecipe {
                    site: site.into(),
                    recipe: recipe.into(),
                },
            )
        };
        let tried = preview(
            "crm.example.com",
            r#"{"version":1,"rows":".tile","fields":{"name":".who"}}"#,
        );
        let [Effect::PreviewRecipe { pattern, recipe }] = tried.effects.as_slice() else {
            panic!("{:?}", tried.effects)
        };
        assert_eq!(pattern, "https://crm.example.com/*");
        assert_eq!(recipe.as_ref().unwrap().rows.as_deref(), Some(".tile"));
        assert_eq!(
            preview("crm.example.com", "").effects,
            vec![Effect::PreviewRecipe {
                pattern: "https://crm.example.com/*".into(),
                recipe: None
            }],
            "no recipe: the generic detectors alone"
        );
        for (site, recipe, says) in [
            ("crm.example.com", r#"{"version":1,"rows":"("}"#, "recipe"),
            ("other.example.com", "", "not switched on"),
        ] {
            let refused = preview(site, recipe);
            assert!(refused.effects.is_empty());
            assert!(
                matches!(&refused.reply, Reply::Error { message } if message.contains(says)),
                "{:?}",
                refused.reply
            );
        }
    }

    #[test]
    fn a_storage_read_overtaken_by_a_save_is_not_applied() {
        let core = BackgroundCore::default();
        let before_read = core.settings_generation();
        let saved = Settings::from_json(r#"{"sites":["crm.example.com"]}"#).unwrap();
        core.set_settings(saved.clone()); // a save finishes while the read is under way
        assert!(!core.set_loaded_settings(before_read, Settings::default()));
        assert_eq!(core.settings(), saved, "the older read did not win");
        let now = core.settings_generation();
        assert!(core.set_loaded_settings(now, Settings::default()));
        // A save that has only begun (its write is under way) already makes a read stale.
        let reading = core.settings_generation();
        core.settings_write_started();
        assert!(!core.set_loaded_settings(reading, saved.clone()));
        assert_eq!(core.settings(), Settings::default());
    }
}
