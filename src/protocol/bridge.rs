//! The extension's internal channel: extension pages talk to the background over a long-lived
//! `runtime.Port`. Requests carry an id so the page can pair answers and re-send what was in
//! flight when an MV3 service worker was stopped.

use crate::contacts::Contact;
use crate::protocol::evidence::{PageEvidence, Truncation};
use crate::protocol::evidence_table::EvidenceDelta;
use crate::protocol::widget::WidgetMessage;
use crate::service::data::WriteSummary;
use crate::settings::recipe::Recipe;
use crate::settings::site_options::SiteOptionsText;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Pairs a request with its answer on one port; unique per sending page.
pub type RequestId = u64;

/// A request from an extension page with its correlation id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Chosen by the sender, echoed in the [`FromBackground::Reply`].
    pub id: RequestId,
    /// What is asked.
    pub body: ToBackground,
}

/// What extension pages ask the background worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ToBackground {
    /// Liveness and version check, sent by the widget host when its port opens.
    #[serde(rename_all = "camelCase")]
    Ping {
        /// The sender's clock, echoed so it can compute the round trip.
        sent_at_ms: f64,
    },
    /// Timings of the running worker instance (cold-start benchmark, diagnostics page).
    Diagnostics,
    /// Versions and recent errors (the options page's diagnostics section).
    About,
    /// Forget the recent errors (the user read them); answered with [`Reply::About`].
    ClearErrors,
    /// The service registration for a widget that just loaded (sent once per widget load).
    Register,
    /// A single-use ticket that admits one widget host (asked by our own extension pages
    /// before they open one; never by a content script).
    WidgetTicket,
    /// A widget host framed in a page asks for a claim code bound to its own frame, to show
    /// its parent (see `background::tickets`).
    ClaimCode,
    /// Our content script vouches for the claim code its own frame showed it.
    VouchForHost {
        /// The code, as the frame posted it.
        code: String,
    },
    /// A widget host presents its ticket (from its URL, or its vouched-for claim code);
    /// nothing widget-related is served to a port that was not admitted.
    Admit {
        /// The ticket.
        ticket: String,
    },
    /// Whether crm-bridge is on for the site of a page (toolbar popup).
    SiteStatus {
        /// The page's URL.
        url: String,
    },
    /// Switch a page's site on. The page asked the browser for the permission first, at the
    /// user's click; the background checks it was granted.
    #[serde(rename_all = "camelCase")]
    EnableSite {
        /// The page's URL.
        url: String,
        /// Include all subdomains of the page's host.
        subdomains: bool,
    },
    /// Switch a page's site off: unregister, take the widget out of open tabs, drop the grant;
    /// in the all-sites mode, its host also joins the exceptions.
    DisableSite {
        /// The page's URL.
        url: String,
    },
    /// Turn the all-sites mode on or off and set its exceptions (options page). Turning it on
    /// needs the browser's access to all sites, which the page asked for at the user's click.
    SetAllSites {
        /// Whether the mode is on.
        on: bool,
        /// The exceptions as the page edits them: one site per line.
        except: String,
    },
    /// The current settings (options page).
    GetSettings,
    /// Replace the settings (options page form or imported file). Refused whole, with the
    /// reason, when anything in them is invalid: the previous settings stay untouched.
    SaveSettings {
        /// Settings JSON as the options page or a settings file has it.
        settings: Value,
    },
    /// The options page's form: its fields applied to the settings as they are when the save
    /// gets its turn (`Settings::with_changes`), so what changed elsewhere since the page
    /// loaded (a site switched on, the phone's toggles) is kept. Refused whole when invalid.
    SaveOptions {
        /// The form's fields, in the settings' JSON layout.
        changes: Value,
    },
    /// Replace one site's do-not-contact list and call-log form (options page), given as the
    /// text the page edits; refused whole, naming the wrong line.
    SaveSiteOptions {
        /// The site as listed.
        site: String,
        /// The lists as text.
        options: SiteOptionsText,
    },
    /// Set one site's country of numbers written without one (the popup, when a page's
    /// numbers could not be placed); the site's other options stay as they are.
    SetSiteCountry {
        /// The site as listed.
        site: String,
        /// Two letters, or empty for none.
        country: String,
    },
    /// The user pressed "Read the whole list" in the popup for a page of this site: its new
    /// contacts are bounded by the read's own room for a few minutes, not the minute's rate.
    AllowWholeList {
        /// The site as listed.
        site: String,
    },
    /// Store contacts for a site (an import from the options page, sent in chunks so the page
    /// can show progress). A chunk without `batch` is written all or nothing on its own; the
    /// chunks of one batch go into one transaction, kept only when its last chunk commits.
    ImportContacts {
        /// The site as listed.
        site: String,
        /// The contacts, ids local to the site.
        contacts: Vec<Contact>,
        /// Which import the chunk belongs to, when it is one of several kept as a whole.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<ImportBatch>,
    },
    /// Turn contacts of a site into tombstones (open widgets drop them at their next sync).
    RemoveContacts {
        /// The site as listed.
        site: String,
        /// Ids local to the site.
        ids: Vec<String>,
    },
    /// A site's contacts, for export (options page).
    ExportContacts {
        /// The site as listed.
        site: String,
    },
    /// How many contacts each enabled site has (options page).
    ContactCounts,
    /// "Why did this number not match?" (options page): how the number is read and which
    /// stored numbers share its national digits.
    ExplainNumber {
        /// The number as the user typed or copied it.
        number: String,
    },
    /// The journal and outbox at a glance (popup, options page).
    LogSummary,
    /// Journal entries (options page: browse, search, export).
    Journal {
        /// What to find.
        query: crate::logging::journal_view::JournalQuery,
    },
    /// Add the entries of an exported journal (options page import, sent in chunks so the
    /// page can show progress); refused whole, naming the entry, when one is not valid.
    ImportJournal {
        /// The entries, as the JSON export has them.
        entries: Vec<crate::logging::entry::JournalEntry>,
    },
    /// The waiting deliveries (options page).
    Outbox,
    /// Retry these deliveries now (all when empty).
    RetryDeliveries {
        /// Delivery keys.
        keys: Vec<String>,
    },
    /// Drop these deliveries from the outbox (all when empty); the journal keeps the entries.
    DiscardDeliveries {
        /// Delivery keys.
        keys: Vec<String>,
    },
    /// Switch off a site by its pattern (options page list).
    ForgetSite {
        /// The site as listed (`https://crm.example.com`, `https://*.example.com`).
        site: String,
    },
    /// Open the phone in its own window (or focus it): the one place where the widget's login
    /// is never blocked nor split per CRM site (see README "Log in once").
    OpenPhoneWindow,
    /// After a reconnect (the worker was stopped), an admitted host shows the pass it got at
    /// admission before anything else, so its port is admitted again.
    Resume {
        /// The pass from [`Reply::Admitted`].
        pass: String,
    },
    /// Import every contact of the list this page shows, following its pages (toolbar popup);
    /// answered with [`Reply::Import`]. Asked again for the same list, it only reports.
    StartImport {
        /// The list page's URL (the popup's tab).
        url: String,
        /// Read the site recipe's JSON API instead of the list's pages.
        #[serde(default)]
        api: bool,
    },
    /// How the bulk import stands; answered with [`Reply::Import`].
    ImportStatus,
    /// Stop the bulk import; what it stored stays.
    CancelImport,
    /// Carry on with a failed import from the page that failed.
    ResumeImport,
    /// What the discovery walker saw on a page of an enabled site (content script only; the
    /// background checks the sender's tab is on that site).
    PageEvidence {
        /// The walker's evidence.
        evidence: PageEvidence,
        /// The walker's number for this scan of the page, when it will send later rescans as
        /// [`ToBackground::PageEvidenceDelta`] against it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scan: Option<u64>,
    },
    /// The rows of the page that changed since the walker's last full evidence of it (content
    /// script only); answered like [`ToBackground::PageEvidence`], or with
    /// [`Reply::EvidenceWanted`] when that evidence is no longer kept.
    PageEvidenceDelta {
        /// The changed rows.
        delta: EvidenceDelta,
    },
    /// The recipe of the sender's site, if it has one (discovery content script only).
    SiteRecipe,
    /// Try a recipe (as the options page holds it, saved or not) on an open tab of the site:
    /// what discovery would find there, nothing stored; answered with [`Reply::RecipePreview`].
    PreviewRecipe {
        /// The site as listed.
        site: String,
        /// The recipe's JSON text; empty tries the generic detectors alone.
        recipe: String,
    },
    /// A message the widget iframe posted to the widget host, already origin-checked there.
    FromWidget {
        /// The message exactly as the widget posted it.
        message: Value,
    },
}

/// Where a chunk stands in an import kept as a whole (the options page's imports): all its
/// chunks are written into one transaction, so an import is either kept whole or not at all,
/// and IndexedDB pays for one commit instead of one per chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportBatch {
    /// Chosen by the sender, different for every import it starts.
    pub id: String,
    /// The chunk's place, from 0; a batch's chunks must arrive in order.
    pub part: u32,
    /// Whether this is the batch's last chunk (its answer waits for the commit).
    pub last: bool,
}

/// What the background worker sends on a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FromBackground {
    /// First message on every port: the worker's Wasm is ready, so the page may (re)send.
    Ready {
        /// The worker's crate version.
        version: String,
    },
    /// Sent without being asked (e.g. "re-sync contacts" after discovery or an import).
    Push {
        /// Handled like an answer.
        reply: Reply,
    },
    /// The answer to the request with this id.
    Reply {
        /// The request's id.
        id: RequestId,
        /// The answer.
        reply: Reply,
    },
}

/// The answer to one [`ToBackground`] request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Reply {
    /// Answer to [`ToBackground::Ping`].
    #[serde(rename_all = "camelCase")]
    Pong {
        /// The worker's crate version.
        version: String,
        /// Echo of the ping's clock.
        sent_at_ms: f64,
    },
    /// Answer to [`ToBackground::Diagnostics`].
    #[serde(rename_all = "camelCase")]
    Diagnostics {
        /// The worker's clocks and memory.
        #[serde(flatten)]
        worker: WorkerTimings,
        /// What the contact store keeps in memory for search and match (`ready: N contacts,
        /// M MiB`, `building`, …), so a slow search can be told from a cold one.
        contact_memory: String,
    },
    /// Answer to [`ToBackground::About`] and [`ToBackground::ClearErrors`].
    About(crate::diagnostics::About),
    /// Answer to [`ToBackground::WidgetTicket`].
    Ticket {
        /// Put into the address of a window or panel our own pages open, as `#ticket=…`.
        ticket: String,
    },
    /// Answer to [`ToBackground::ClaimCode`].
    ClaimCode {
        /// Shown to the host's parent; admits only that host once vouched for.
        code: String,
    },
    /// Answer to [`ToBackground::VouchForHost`].
    Vouched {
        /// Whether the code was open, fresh and made for a frame of the sender's tab.
        ok: bool,
    },
    /// Answer to [`ToBackground::Admit`] and [`ToBackground::Resume`].
    Admitted {
        /// Whether the widget host may frame the widget.
        ok: bool,
        /// On a successful admission: the pass for [`ToBackground::Resume`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pass: Option<String>,
    },
    /// Messages the widget host must post into the widget iframe (often none).
    ToWidget {
        /// Each is posted to the widget window with the widget's origin as target.
        messages: Vec<WidgetMessage>,
    },
    /// Answer to the site requests.
    Site(SiteStatus),
    /// Done (for requests whose effect is the answer, e.g. opening the phone window).
    Done,
    /// The settings, as stored.
    Settings {
        /// Settings JSON.
        settings: Value,
    },
    /// Answer to [`ToBackground::ExplainNumber`].
    NumberExplained(crate::contacts::explain::MatchExplanation),
    /// Answer to [`ToBackground::ImportJournal`].
    JournalImported(crate::logging::journal_import::JournalImport),
    /// Answer to [`ToBackground::ImportContacts`]: the chunk (or, for a batch's last chunk,
    /// the whole batch) committed.
    Imported {
        /// Contacts kept.
        count: usize,
    },
    /// Answer to a batch's chunk before its last: written into the batch's transaction, kept
    /// only if the batch's last chunk commits.
    ImportWritten {
        /// Contacts of this chunk written.
        count: usize,
    },
    /// Answer to [`ToBackground::PageEvidence`].
    #[serde(rename_all = "camelCase")]
    Discovered {
        /// Contacts discovery found on the page.
        found: usize,
        /// What storing them changed.
        summary: WriteSummary,
        /// Time spent reading the evidence (ms), loading discovery included on first use.
        elapsed_ms: f64,
        /// The walker stopped early on this page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        truncated: Option<Truncation>,
        /// The page showed more new people than its site may add this minute: the content
        /// script sends nothing for this long (ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held_back_for_ms: Option<f64>,
    },
    /// Answer to [`ToBackground::PreviewRecipe`].
    RecipePreview {
        /// The page that was read (the site's open tab).
        url: String,
        /// Contacts discovery found there with the recipe.
        found: usize,
        /// The first of them, as they would be stored.
        contacts: Vec<Contact>,
        /// Numbers written without a country that could not be read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unplaced: Option<crate::protocol::evidence::Unplaced>,
        /// The other numbers that did not become callable lines, by reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        left_out: Option<crate::protocol::evidence::LeftOut>,
    },
    /// Answer to a [`ToBackground::PageEvidenceDelta`] whose page the background no longer
    /// keeps (the worker restarted): send the page's evidence whole.
    EvidenceWanted,
    /// Answer to [`ToBackground::SiteRecipe`].
    Recipe {
        /// The site's recipe; none when discovery reads the site generically.
        recipe: Option<Recipe>,
    },
    /// Answer to the bulk-import requests: the current (or last) import, if any.
    Import {
        /// Its progress.
        import: Option<crate::bulk_import::ImportProgress>,
    },
    /// Answer to [`ToBackground::RemoveContacts`].
    Removed {
        /// Contacts that were live and are now tombstones.
        count: usize,
    },
    /// Answer to [`ToBackground::ExportContacts`].
    Contacts {
        /// Live contacts, ids local to the site.
        contacts: Vec<Contact>,
    },
    /// Answer to [`ToBackground::Journal`]: newest first.
    Journal {
        /// The entries found.
        entries: Vec<crate::logging::entry::JournalEntry>,
    },
    /// Answer to [`ToBackground::Outbox`].
    Outbox {
        /// Waiting deliveries, without their bodies.
        deliveries: Vec<crate::logging::outbox::Delivery>,
        /// Counts and the last error.
        summary: crate::service::data::LogSummary,
    },
    /// Answer to [`ToBackground::LogSummary`], and to retries and discards.
    Logs {
        /// Counts and the last delivery error.
        summary: crate::service::data::LogSummary,
    },
    /// Answer to [`ToBackground::ContactCounts`]: site → live contacts.
    ContactCounts {
        /// Per enabled site.
        sites: BTreeMap<String, usize>,
        /// Site → when its contacts were last read from it (ms since the epoch); sites never
        /// read (or only filled from a file) are absent.
        #[serde(default, rename = "lastRead")]
        last_read: BTreeMap<String, f64>,
    },
    /// The request could not be understood or served.
    Error {
        /// A sentence a person can act on.
        message: String,
    },
}

/// What the toolbar popup shows about the current page's site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteStatus {
    /// The site the page would be switched on as (`https://crm.example.com`), if it can be.
    pub site: Option<String>,
    /// The enabled site the page belongs to, if crm-bridge is on for it.
    pub enabled_as: Option<String>,
    /// Whether it is on only through the all-sites mode (not listed one by one).
    #[serde(default)]
    pub all_sites: bool,
    /// Why the page cannot be switched on (e.g. a browser page), if it cannot.
    pub problem: Option<String>,
    /// Live contacts stored for the enabled site, when it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<usize>,
    /// What discovery last made of this page (this worker instance), if it read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageReading>,
    /// Whether the phone is logged in, as an open phone last said (this browser session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneLogin>,
    /// The enabled site's recipe names its JSON API: the popup offers to import from it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub api_import: bool,
}

/// The phone's login as the widget last announced it (`rc-login-status-notify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneLogin {
    /// Whether a user is logged in.
    pub logged_in: bool,
    /// `<mainNumber>*<ext>` of the user, when logged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_number: Option<String>,
}

/// What discovery made of one page, for the toolbar popup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageReading {
    /// Contacts found on the page.
    pub found: usize,
    /// Set when the page was too large to read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
    /// People's numbers written without a country that could not be read (popup hint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unplaced: Option<crate::protocol::evidence::Unplaced>,
    /// The other numbers that did not become callable lines, by reason (popup, "why").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<crate::protocol::evidence::LeftOut>,
    /// The list's next page, when the page is one page of a longer list (the popup then
    /// offers to import all of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page: Option<String>,
    /// The highest page number the list showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_page: Option<u32>,
    /// The page's list grows as it is scrolled and no pager leads on (the popup offers to
    /// read it whole in the tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_rows: Option<crate::protocol::evidence::MoreRows>,
    /// New people on the page were not kept: a limit was reached (popup notice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_back: Option<crate::settings::limits::HeldBackNote>,
}

/// What the background asks the bulk import's page reader (`extension/page_reader.js`; on
/// Chrome inside the offscreen document, addressed with `target: "pageReader"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadPage {
    /// The list page to fetch (same origin as the list the user started on).
    pub url: String,
    /// The site's recipe, applied as on a page the user opens.
    #[serde(default)]
    pub recipe: Option<Recipe>,
    /// A page of the recipe's JSON API, not an HTML page: answered with its text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json: bool,
}

/// The page reader's answer to [`ReadPage`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PageReaderAnswer {
    /// Fetched and walked.
    Read {
        /// What the walker saw (boxed: it is by far the largest answer).
        evidence: Box<PageEvidence>,
    },
    /// The server answered with an error status.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// A page of the recipe's API, as its text (read in the background, see
    /// `crate::bulk_import::api`).
    Json {
        /// The answer's body.
        text: String,
    },
    /// Not an HTML page.
    #[serde(rename_all = "camelCase")]
    NotHtml {
        /// Its content type.
        content_type: String,
    },
    /// Asked for a JSON API page, got something else.
    #[serde(rename_all = "camelCase")]
    NotJson {
        /// Its content type.
        content_type: String,
    },
    /// Redirected to another origin.
    OtherOrigin {
        /// Where it ended.
        origin: String,
    },
    /// No answer at all.
    Network {
        /// The browser's words.
        message: String,
    },
    /// Larger than a list page can sensibly be.
    TooLarge,
}

impl ToBackground {
    /// Whether handling this request reads the settings to write them back changed; such
    /// requests take the settings turn (`BackgroundCore::settings_turn`).
    pub fn changes_settings(&self) -> bool {
        matches!(
            self,
            Self::EnableSite { .. }
                | Self::DisableSite { .. }
                | Self::SetAllSites { .. }
                | Self::SaveSettings { .. }
                | Self::SaveOptions { .. }
                | Self::SaveSiteOptions { .. }
                | Self::SetSiteCountry { .. }
                | Self::ForgetSite { .. }
        )
    }
}

/// What the background tells a content script (the one message it listens to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ToContentScript {
    /// The user switched the site off: take the widget out of the page now.
    RemoveWidget,
    /// The toolbar popup's "scan this page now": read the page again even if it looks unchanged.
    ScanPage,
    /// The options page tries a recipe: collect this page's evidence with it and answer
    /// `{evidence}` (or `{error}`); nothing is sent on to be stored.
    PreviewRecipe {
        /// The recipe to try; none for the generic detectors alone.
        recipe: Option<Box<Recipe>>,
    },
    /// The popup's "Read the whole list": scroll the page's list (or press its "Load more")
    /// step by step, reading each step, until it stops growing; answers [`WholeList`].
    ReadWholeList,
    /// How the whole-list read stands; answers [`WholeList`].
    WholeListStatus,
    /// Stop the whole-list read where it is; answers [`WholeList`].
    StopWholeList,
}

/// A content script's whole-list read (see [`ToContentScript::ReadWholeList`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WholeList {
    /// Where it stands.
    pub state: WholeListState,
    /// Rows seen so far (each once, also when the list drops rows scrolled past).
    pub rows: u32,
    /// Scroll or "Load more" steps taken.
    pub steps: u32,
}

/// Where a whole-list read stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WholeListState {
    /// Never started in this page.
    #[default]
    Idle,
    /// Scrolling and reading.
    Running,
    /// The list stopped growing: all of it was read.
    Done,
    /// It hit a bound (rows, steps or time) before the end.
    Capped,
    /// The user stopped it.
    Stopped,
}

/// When this worker instance started and became useful, in ms since the worker's time origin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerTimings {
    /// `performance.now()` when the loader script began to run.
    pub script_start_ms: f64,
    /// `performance.now()` when the Wasm module was instantiated and the core built.
    pub wasm_ready_ms: f64,
    /// Requests answered by this instance, to tell a fresh worker from a reused one.
    pub requests_handled: u64,
    /// The Wasm linear memory's size when asked (bytes): the Rust heap's high-water mark.
    #[serde(default)]
    pub wasm_memory_bytes: f64,
    /// Milliseconds from a port request's arrival to its answer being posted, summed over the
    /// requests answered (overlapping requests each count whole): what the worker itself
    /// spends, apart from the relay around it (the logging bench compares it with plain JS).
    #[serde(default)]
    pub busy_ms: f64,
}

/// Why an incoming envelope was refused, with the id when one could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// The request id, if the envelope had a readable one, so the sender still gets an answer.
    pub id: Option<RequestId>,
    /// What was wrong.
    pub message: String,
}

/// Reads an envelope from JSON text; a broken body still yields its id when possible.
pub fn decode_envelope(text: &str) -> Result<Envelope, DecodeError> {
    if text.len() >= BULK_TEXT_BYTES {
        if let Ok(bulk) = serde_json::from_str::<ImportEnvelope>(text) {
            return Ok(Envelope {
                id: bulk.id,
                body: ToBackground::ImportContacts {
                    site: bulk.body.site,
                    contacts: bulk.body.contacts,
                    batch: bulk.body.batch,
                },
            });
        }
    }
    serde_json::from_str::<Envelope>(text).map_err(|err| {
        let id = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|value| value.get("id").and_then(Value::as_u64));
        DecodeError {
            id,
            message: format!("unreadable request: {err}"),
        }
    })
}

/// Requests at least this long are first tried as an import's chunk (see [`ImportEnvelope`]).
const BULK_TEXT_BYTES: usize = 64 * 1024;

/// An import's chunk (thousands of contacts), read straight into its fields: the general path
/// reads an internally tagged body twice (serde buffers all of it to find `kind` first), which
/// cost ≈3 % of an import (`BENCH_PROFILE=import`). Any other request fails this at its `kind`
/// and takes the general path.
#[derive(Deserialize)]
struct ImportEnvelope {
    id: RequestId,
    body: ImportBody,
}

#[derive(Deserialize)]
struct ImportBody {
    #[allow(dead_code)] // read only to refuse other kinds
    kind: ImportKind,
    site: String,
    contacts: Vec<Contact>,
    #[serde(default)]
    batch: Option<ImportBatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum ImportKind {
    ImportContacts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_import_reads_as_the_general_path_reads_it_and_other_large_requests_still_read() {
        let contacts: Vec<Contact> = (0..2_000)
            .map(|i| Contact {
                id: i.to_string(),
                name: format!("Person {i}"),
                emails: vec![format!("p{i}@example.com")],
                ..Contact::default()
            })
            .collect();
        let import = Envelope {
            id: 4,
            body: ToBackground::ImportContacts {
                site: "https://crm.example".into(),
                contacts: contacts.clone(),
                batch: None,
            },
        };
        let text = serde_json::to_string(&import).unwrap();
        assert!(text.len() >= BULK_TEXT_BYTES);
        assert_eq!(decode_envelope(&text).unwrap(), import);
        let part = Envelope {
            id: 6,
            body: ToBackground::ImportContacts {
                site: "https://crm.example".into(),
                contacts: contacts.clone(),
                batch: Some(ImportBatch {
                    id: "import-1".into(),
                    part: 3,
                    last: true,
                }),
            },
        };
        let text = serde_json::to_string(&part).unwrap();
        assert!(text.contains(r#""batch":{"id":"import-1","part":3,"last":true}"#));
        assert_eq!(decode_envelope(&text).unwrap(), part);
        let removal = Envelope {
            id: 5,
            body: ToBackground::RemoveContacts {
                site: "https://crm.example".into(),
                ids: contacts
                    .iter()
                    .map(|c| format!("{}-an-id-long-enough-to-make-it-bulky", c.id))
                    .collect(),
            },
        };
        let text = serde_json::to_string(&removal).unwrap();
        assert!(text.len() >= BULK_TEXT_BYTES);
        assert_eq!(decode_envelope(&text).unwrap(), removal);
    }

    #[test]
    fn ping_round_trips_with_camel_case_fields() {
        let envelope = Envelope {
            id: 7,
            body: ToBackground::Ping { sent_at_ms: 1.5 },
        };
        let text = serde_json::to_string(&envelope).unwrap();
        assert_eq!(text, r#"{"id":7,"body":{"kind":"ping","sentAtMs":1.5}}"#);
        assert_eq!(decode_envelope(&text).unwrap(), envelope);
    }

    #[test]
    fn broken_body_keeps_the_id_for_the_error_reply() {
        let err = decode_envelope(r#"{"id":9,"body":{"kind":"nope"}}"#).unwrap_err();
        assert_eq!(err.id, Some(9));
        assert!(err.message.contains("unreadable request"));
    }

    #[test]
    fn garbage_has_no_id() {
        assert_eq!(decode_envelope("not json").unwrap_err().id, None);
    }
}
