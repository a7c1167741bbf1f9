//! Runs the bulk import's pages (`crate::bulk_import`): one runner per worker asks the core
//! what to do next, has the page reader fetch and walk the page off-screen, lets discovery
//! read the evidence, stores the contacts and keeps the job after every page. An alarm wakes a
//! stopped worker to carry on; so does any other wake-up (`start_background` restores the job).

use super::background::Core;
use super::discovery_client::discover;
use super::stored_settings::load_settings;
use crate::background::imports::{evidence_of, page_read, ImportStep};
use crate::bulk_import::{FetchError, PageOutcome};
use crate::platform;
use crate::protocol::bridge::{PageReaderAnswer, ReadPage};
use crate::protocol::evidence::PageEvidence;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// `storage.local` key of the job.
pub const IMPORT_KEY: &str = "bulkImport";
/// The alarm that wakes a stopped worker while an import runs.
pub const IMPORT_ALARM: &str = "crm-bridge-import";
/// Longest sleep between two looks at the job (a cancel is noticed within it).
const LONGEST_NAP_MS: f64 = 1_000.0;

/// Told when an imported page changed the stored contacts (open widgets re-sync).
type ContactsChanged = Box<dyn Fn()>;

/// The worker's one import runner.
#[derive(Default)]
pub struct Importer {
    running: Cell<bool>,
    changed: RefCell<Option<ContactsChanged>>,
}

impl Importer {
    /// What to call when an imported page changed the stored contacts.
    pub fn on_contacts_changed(&self, changed: impl Fn() + 'static) {
        *self.changed.borrow_mut() = Some(Box::new(changed));
    }

    /// Reads the job an earlier worker kept and carries on with it if it was running.
    pub fn restore(self: &Rc<Self>, core: &Rc<Core>) {
        let (importer, core) = (self.clone(), core.clone());
        wasm_bindgen_futures::spawn_local(async move {
            restore_job(&core).await;
            if core.import_running() {
                importer.run(&core);
            }
        });
    }

    /// Runs the job's pages until it ends, unless this worker runs them already.
    pub fn run(self: &Rc<Self>, core: &Rc<Core>) {
        if self.running.replace(true) {
            return;
        }
        let (importer, core) = (self.clone(), core.clone());
        wasm_bindgen_futures::spawn_local(async move {
            // Woken by the alarm, the worker may not have read the settings yet.
            let generation = core.settings_generation();
            let (settings, _) = load_settings().await;
            core.set_loaded_settings(generation, settings);
            restore_job(&core).await;
            set_alarm().await;
            if core.import_running() {
                if let Err(err) = platform::open_page_reader().await {
                    super::errors::report(&core, &format!("bulk import: {err:?}"));
                }
            }
            importer.pages(&core).await;
            importer.running.set(false);
            let _ = platform::call_async(&["alarms", "clear"], &[IMPORT_ALARM.into()]).await;
            platform::close_page_reader().await;
        });
    }

    async fn pages(&self, core: &Rc<Core>) {
        loop {
            match core.import_step(js_sys::Date::now()) {
                ImportStep::Idle => {
                    keep(core).await; // a job stopped by the step (site switched off) is kept
                    return;
                }
                ImportStep::Wait(ms) => {
                    gloo_timers::future::TimeoutFuture::new(ms.clamp(1.0, LONGEST_NAP_MS) as u32)
                        .await
                }
                ImportStep::Fetch(request) => {
                    let outcome = self.read(core, &request).await;
                    core.record_import_page(outcome, js_sys::Date::now());
                    keep(core).await;
                }
            }
        }
    }

    /// Fetches, walks, interprets and stores one page.
    async fn read(&self, core: &Rc<Core>, request: &ReadPage) -> PageOutcome {
        let evidence = match fetch(request).await {
            Ok(evidence) => evidence,
            Err(error) => return PageOutcome::Failed(error),
        };
        let settings = core.settings();
        if settings.site_for_url(&evidence.url) != settings.site_for_url(&request.url) {
            return PageOutcome::Failed(FetchError::OtherOrigin(evidence.url.clone()));
        }
        let found = match discover(&evidence, settings.region_for_url(&evidence.url)).await {
            Ok(found) => found.contacts,
            Err(err) => return PageOutcome::Failed(FetchError::Unreadable(err)),
        };
        let count = found.len();
        match core.store_imported(&request.url, found).await {
            Ok(summary) => {
                if summary.changed_anything() {
                    if let Some(changed) = self.changed.borrow().as_ref() {
                        changed();
                    }
                }
                PageOutcome::Read(page_read(&evidence, count, &summary))
            }
            Err(err) => PageOutcome::Failed(FetchError::Unreadable(format!("not stored: {err}"))),
        }
    }
}

/// The page reader's evidence for one page, or why there is none.
async fn fetch(request: &ReadPage) -> Result<PageEvidence, FetchError> {
    let text = serde_json::to_string(request).map_err(|e| FetchError::Unreadable(e.to_string()))?;
    let answer = platform::read_page_off_screen(&text)
        .await
        .map_err(|err| FetchError::Network(format!("{err:?}")))?;
    let answer: PageReaderAnswer = serde_json::from_str(&answer)
        .map_err(|err| FetchError::Unreadable(format!("page reader answer: {err}")))?;
    let evidence = evidence_of(request, answer)?;
    evidence.check().map_err(FetchError::Unreadable)?;
    Ok(evidence)
}

/// Reads the kept job into the core (once per worker).
pub async fn restore_job(core: &Core) {
    if core.import_restored() {
        return;
    }
    match platform::storage_local_get(IMPORT_KEY).await {
        Ok(text) => core.restore_import(text.as_deref()),
        Err(err) => super::errors::report(core, &format!("cannot read the bulk import: {err:?}")),
    }
}

/// Keeps the job in `storage.local`.
pub async fn keep(core: &Core) {
    if let Err(err) = platform::storage_local_set(IMPORT_KEY, &core.import_json()).await {
        super::errors::report(core, &format!("cannot keep the bulk import: {err:?}"));
    }
}

/// Wakes the worker every half minute while the import runs (the shortest period browsers
/// allow a packed extension).
async fn set_alarm() {
    if let Ok(info) = platform::from_json(r#"{"periodInMinutes":0.5}"#) {
        let _ = platform::call_async(&["alarms", "create"], &[IMPORT_ALARM.into(), info]).await;
    }
}
