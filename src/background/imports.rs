//! The background core's part of the bulk import: the one job (there is at most one at a
//! time), the popup's requests about it, and the steps the edge's runner takes
//! (`entry::bulk_import`): what to fetch next, and what a read page changed.

use super::{BackgroundCore, Handled};
use crate::bulk_import::{FetchError, ImportJob, PageOutcome, PageRead};
use crate::contacts::Contact;
use crate::protocol::bridge::{PageReaderAnswer, ReadPage, Reply, ToBackground};
use crate::protocol::evidence::PageEvidence;
use crate::service::data::{ContactSink, ContactSource, LogStore, WriteSummary};
use crate::service::Effect;
use crate::sites::SitePattern;

/// What the runner does next.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportStep {
    /// No import is running.
    Idle,
    /// Wait this long (ms) before asking again.
    Wait(f64),
    /// Read this page now (already counted as requested).
    Fetch(Box<ReadPage>),
}

impl<C: ContactSource + ContactSink, L: LogStore> BackgroundCore<C, L> {
    /// Restores the job an earlier worker kept (at wake-up); a job this worker started since
    /// stays.
    pub fn restore_import(&self, text: Option<&str>) {
        if self.import_restored.replace(true) {
            return;
        }
        let kept = text.and_then(|text| serde_json::from_str::<ImportJob>(text).ok());
        let mut job = self.import.borrow_mut();
        if job.is_none() {
            *job = kept;
        }
    }

    /// Whether an earlier worker's job was read (the popup's requests wait for it).
    pub fn import_restored(&self) -> bool {
        self.import_restored.get()
    }

    /// Whether an import is running (the edge then keeps its runner going).
    pub fn import_running(&self) -> bool {
        self.import
            .borrow()
            .as_ref()
            .is_some_and(ImportJob::is_running)
    }

    /// The job as JSON, for `storage.local`.
    pub fn import_json(&self) -> String {
        serde_json::to_string(&*self.import.borrow()).unwrap_or_else(|_| "null".into())
    }

    /// Answers the popup's import requests.
    pub(super) fn handle_import(&self, request: ToBackground) -> Handled {
        let now = (self.environment.wall_clock_ms)();
        let refuse = |message: String| Handled {
            reply: Reply::Error { message },
            effects: Vec::new(),
        };
        // `run`: a job to (re)start; `changed`: the job changed and must be kept.
        let (mut run, mut changed) = (false, false);
        match request {
            ToBackground::StartImport { url, api } => {
                let running = self.import.borrow().clone().filter(ImportJob::is_running);
                if let Some(job) = running {
                    if job.summary.list_url != url && !(api && job.summary.api) {
                        return refuse(format!(
                            "an import of {} is running; cancel it first",
                            job.summary.list_url
                        ));
                    }
                } else {
                    let settings = self.settings();
                    let Some(site) = settings.site_for_url(&url) else {
                        return refuse("switch crm-bridge on for this site first".into());
                    };
                    let first = if api {
                        let recipe_api = settings.recipe_of(&site).and_then(|r| r.api.as_ref());
                        match recipe_api.map(|recipe_api| recipe_api.first_page(&url)) {
                            Some(Ok(first)) => first,
                            Some(Err(err)) => return refuse(err),
                            None => return refuse(format!("the recipe of {site} names no API")),
                        }
                    } else {
                        url.clone()
                    };
                    if !settings.keeps_new_from(&site, &first) {
                        return refuse(format!(
                            "{site} keeps contacts only from the pages chosen in the options, and this list is not one of them"
                        ));
                    }
                    match ImportJob::start(
                        &site.to_string(),
                        &first,
                        settings.import_requests_per_second,
                        now,
                    ) {
                        Ok(mut job) => {
                            job.summary.api = api;
                            *self.import.borrow_mut() = Some(job);
                        }
                        Err(err) => return refuse(err.0),
                    }
                    (run, changed) = (true, true);
                }
            }
            ToBackground::CancelImport => {
                if let Some(job) = self.import.borrow_mut().as_mut() {
                    job.cancel(now);
                    changed = true;
                }
            }
            ToBackground::ResumeImport => {
                let resumed = match self.import.borrow_mut().as_mut() {
                    Some(job) => job.resume(now),
                    None => return refuse("there is no import to resume".into()),
                };
                if let Err(err) = resumed {
                    return refuse(err.0);
                }
                (run, changed) = (true, true);
            }
            _ => {}
        }
        let mut effects = Vec::new();
        if changed {
            effects.push(Effect::KeepImport(self.import_json()));
        }
        if run {
            effects.push(Effect::RunImport);
        }
        Handled {
            reply: Reply::Import {
                import: self.import.borrow().as_ref().map(ImportJob::progress),
            },
            effects,
        }
    }

    /// The runner's next step at wall-clock time `now_ms`. A job whose site was switched off
    /// meanwhile stops here, saying so.
    pub fn import_step(&self, now_ms: f64) -> ImportStep {
        let mut slot = self.import.borrow_mut();
        let Some(job) = slot.as_mut() else {
            return ImportStep::Idle;
        };
        let url = match job.due(now_ms) {
            None => return ImportStep::Idle,
            Some(Err(wait)) => return ImportStep::Wait(wait),
            Some(Ok(url)) => url.to_owned(),
        };
        let settings = self.settings();
        let site = settings.site_for_url(&url);
        if site.as_ref().map(ToString::to_string).as_deref() != Some(job.summary.site.as_str()) {
            job.stop(
                format!("crm-bridge was switched off for {}", job.summary.site),
                now_ms,
            );
            return ImportStep::Idle;
        }
        job.requested(now_ms);
        let recipe = site.and_then(|site| settings.recipe_of(&site).cloned());
        ImportStep::Fetch(Box::new(ReadPage {
            url,
            recipe,
            json: job.summary.api,
        }))
    }

    /// Stores the contacts discovery found on an imported page (at `page_url`) of the job's
    /// site, as the site's "keep only" pages allow.
    pub async fn store_imported(
        &self,
        page_url: &str,
        contacts: Vec<Contact>,
    ) -> Result<WriteSummary, String> {
        let site = self
            .import
            .borrow()
            .as_ref()
            .map(|job| job.summary.site.clone())
            .ok_or("no import is running")?;
        let pattern = SitePattern::parse(&site).map_err(|err| err.to_string())?;
        let contacts = self.keepable(&pattern, page_url, contacts).await?;
        self.router
            .contacts()
            .upsert(&site, contacts)
            .await
            .map_err(|e| e.0)
    }

    /// Takes in what reading the page due gave; the JSON to keep comes back.
    pub fn record_import_page(&self, outcome: PageOutcome, now_ms: f64) -> String {
        if let Some(job) = self.import.borrow_mut().as_mut() {
            job.record(outcome, now_ms);
        }
        self.import_json()
    }
}

/// The page reader's answer to `request` as the evidence to read, or why the page was not
/// read; an API page is read here with the recipe's API mode.
pub fn evidence_of(
    request: &ReadPage,
    answer: PageReaderAnswer,
) -> Result<PageEvidence, FetchError> {
    match answer {
        PageReaderAnswer::Read { evidence } => Ok(*evidence),
        PageReaderAnswer::Json { text } => request
            .recipe
            .as_ref()
            .and_then(|recipe| recipe.api.as_ref())
            .ok_or_else(|| {
                FetchError::Unreadable("the site recipe has no \"api\" any more".into())
            })?
            .evidence(&request.url, &text)
            .map_err(FetchError::Unreadable),
        PageReaderAnswer::NotJson { content_type } => Err(FetchError::NotJson(content_type)),
        PageReaderAnswer::Status { status } => Err(FetchError::Status(status)),
        PageReaderAnswer::NotHtml { content_type } => Err(FetchError::NotHtml(content_type)),
        PageReaderAnswer::OtherOrigin { origin } => Err(FetchError::OtherOrigin(origin)),
        PageReaderAnswer::Network { message } => Err(FetchError::Network(message)),
        PageReaderAnswer::TooLarge => Err(FetchError::TooLarge),
    }
}

/// What a read page gave, for the job: discovery's contacts count and the store's summary.
pub fn page_read(evidence: &PageEvidence, found: usize, summary: &WriteSummary) -> PageRead {
    PageRead {
        found,
        added: summary.added,
        changed: summary.changed,
        pager: evidence.pager.clone(),
        truncated: evidence.truncated.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::background::{Caller, CallerKind};
    use crate::bulk_import::ImportState;
    use crate::protocol::evidence::{Pager, PagerLink};
    use crate::settings::recipe::Recipe;
    use crate::settings::site_options::SiteOptions;
    use crate::settings::Settings;
    use crate::sites::SitePattern;
    use crate::test_support::block_on;

    const LIST: &str = "https://crm.example.com/people";

    fn core() -> BackgroundCore {
        let core = BackgroundCore::default();
        let mut settings = Settings::default();
        let site = SitePattern::parse("https://crm.example.com").unwrap();
        settings.enable_site(site.clone());
        let recipe = Recipe::parse(r#"{"version":1,"next":"a.more"}"#).unwrap();
        settings.site_options.insert(
            site,
            SiteOptions {
                recipe,
                ..SiteOptions::default()
            },
        );
        core.set_settings(settings);
        core.restore_import(None);
        core
    }

    fn ask(core: &BackgroundCore, request: ToBackground) -> Handled {
        block_on(core.handle(request, &Caller::new(CallerKind::ExtensionPage, None)))
    }

    /// The popup's "Import all contacts" for the list at `url`.
    fn start(core: &BackgroundCore, url: impl Into<String>, api: bool) -> Handled {
        ask(
            core,
            ToBackground::StartImport {
                url: url.into(),
                api,
            },
        )
    }

    fn progress(handled: &Handled) -> crate::bulk_import::ImportProgress {
        match &handled.reply {
            Reply::Import {
                import: Some(progress),
            } => progress.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn read(found: usize, next: Option<&str>) -> PageOutcome {
        PageOutcome::Read(PageRead {
            found,
            added: found,
            pager: next.map(|next| Pager {
                links: vec![PagerLink {
                    href: next.into(),
                    text: Some("Next".into()),
                    ..PagerLink::default()
                }],
                current: None,
            }),
            ..PageRead::default()
        })
    }

    #[test]
    fn starting_an_import_keeps_the_job_and_runs_it_and_the_steps_carry_the_recipe() {
        let core = core();
        let started = start(&core, LIST, false);
        assert_eq!(progress(&started).summary.state, ImportState::Running);
        assert!(
            matches!(started.effects[0], Effect::KeepImport(ref json) if json.contains("\"listUrl\""))
        );
        assert_eq!(started.effects[1], Effect::RunImport);
        let ImportStep::Fetch(first) = core.import_step(1_000_000.0) else {
            panic!("the first page is due at once")
        };
        assert_eq!(first.url, LIST);
        assert_eq!(first.recipe.unwrap().next.as_deref(), Some("a.more"));
        assert!(matches!(core.import_step(1_000_100.0), ImportStep::Wait(w) if w == 400.0));
        core.record_import_page(
            read(100, Some("https://crm.example.com/people?page=2")),
            1_000_200.0,
        );
        let status = ask(&core, ToBackground::ImportStatus);
        assert!(status.effects.is_empty(), "asking changes nothing");
        assert_eq!(
            (
                progress(&status).summary.pages_read,
                progress(&status).summary.added
            ),
            (1, 100)
        );
        // Asked again for the same list while it runs: only reported, not restarted.
        let again = start(&core, LIST, false);
        assert!(again.effects.is_empty());
        assert_eq!(progress(&again).summary.pages_read, 1);
    }

    #[test]
    fn one_import_at_a_time_and_only_on_sites_that_are_on() {
        let core = core();
        start(&core, LIST, false);
        let other = start(&core, format!("{LIST}/vip"), false);
        assert!(
            matches!(other.reply, Reply::Error { ref message } if message.contains("cancel it first"))
        );
        let off = self::core();
        let refused = start(&off, "https://elsewhere.example/list", false);
        assert!(
            matches!(refused.reply, Reply::Error { ref message } if message.contains("switch crm-bridge on"))
        );
        assert!(matches!(
            ask(&off, ToBackground::ResumeImport).reply,
            Reply::Error { .. }
        ));
    }

    #[test]
    fn cancelling_stops_the_steps_and_a_site_switched_off_stops_the_import_with_the_reason() {
        let core = core();
        start(&core, LIST, false);
        let cancelled = ask(&core, ToBackground::CancelImport);
        assert_eq!(progress(&cancelled).summary.state, ImportState::Cancelled);
        assert!(matches!(cancelled.effects[..], [Effect::KeepImport(_)]));
        assert_eq!(core.import_step(2_000_000.0), ImportStep::Idle);
        assert!(!core.import_running());

        let core = self::core();
        start(&core, LIST, false);
        core.set_settings(Settings::default());
        assert_eq!(core.import_step(1_000_000.0), ImportStep::Idle);
        let state = progress(&ask(&core, ToBackground::ImportStatus))
            .summary
            .state;
        assert_eq!(
            state,
            ImportState::Failed {
                reason: "crm-bridge was switched off for https://crm.example.com".into()
            }
        );
    }

    #[test]
    fn a_kept_job_is_restored_once_and_never_over_a_newer_one() {
        let core = core();
        start(&core, LIST, false);
        let kept = core.import_json();
        let woken = BackgroundCore::default();
        woken.restore_import(Some(&kept));
        assert!(woken.import_running());
        woken.restore_import(Some("null"));
        assert!(woken.import_running(), "restored once");
        let fresh = self::core(); // restored (nothing kept) before a job was started
        start(&fresh, LIST, false);
        fresh.restore_import(Some("null"));
        assert!(fresh.import_running());
    }

    #[test]
    fn an_api_import_starts_at_the_recipes_first_page_and_reads_json() {
        let core = core();
        let refused = start(&core, LIST, true);
        assert!(
            matches!(refused.reply, Reply::Error { ref message } if message.contains("names no API"))
        );
        let mut settings = core.settings();
        let site = SitePattern::parse("https://crm.example.com").unwrap();
        let recipe = r#"{"version":1,"api":{"url":"/api/people","items":"data","link":"/people/{id}",
            "next":"next","fields":{"name":"name","phone":"phone"}}}"#;
        settings.site_options.get_mut(&site).unwrap().recipe = Recipe::parse(recipe).unwrap();
        core.set_settings(settings);
        let status = ask(&core, ToBackground::SiteStatus { url: LIST.into() });
        assert!(matches!(status.reply, Reply::Site(ref s) if s.api_import));
        let started = start(&core, LIST, true);
        let summary = progress(&started).summary;
        assert!(summary.api);
        assert_eq!(summary.list_url, "https://crm.example.com/api/people");
        let ImportStep::Fetch(request) = core.import_step(1_000_000.0) else {
            panic!("due at once")
        };
        assert!(request.json);
        let answer = PageReaderAnswer::Json {
            text: r#"{"data":[{"id":1,"name":"Ada Lovelace","phone":"+49 30 1234567"}],"next":"/api/people?page=2"}"#.into(),
        };
        let evidence = evidence_of(&request, answer).unwrap();
        assert_eq!(
            evidence.scopes[1].link.as_deref(),
            Some("https://crm.example.com/people/1")
        );
        assert!(evidence.pager.is_some());
        let wrong = PageReaderAnswer::NotJson {
            content_type: "text/html".into(),
        };
        assert_eq!(
            evidence_of(&request, wrong),
            Err(FetchError::NotJson("text/html".into()))
        );
    }

    #[test]
    fn the_page_readers_answers_become_fetch_errors() {
        let request = ReadPage {
            url: LIST.into(),
            recipe: None,
            json: false,
        };
        assert_eq!(
            evidence_of(&request, PageReaderAnswer::Status { status: 503 }),
            Err(FetchError::Status(503))
        );
        assert_eq!(
            evidence_of(&request, PageReaderAnswer::TooLarge),
            Err(FetchError::TooLarge)
        );
        let answer: PageReaderAnswer =
            serde_json::from_str(r#"{"kind":"notHtml","contentType":"application/json"}"#).unwrap();
        assert_eq!(
            evidence_of(&request, answer),
            Err(FetchError::NotHtml("application/json".into()))
        );
    }
}
