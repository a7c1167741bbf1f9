//! One router: every request path maps to one handler.
//!
//! Every request with a `requestId` is answered — unknown paths and malformed bodies with an
//! error answer the widget can read (`{data: null, error}`), never silence, never a panic.
//! What a handler needs done outside the answer (open a tab, post a command to the widget) comes
//! back as [`Effect`]s for the edge to carry out.

use crate::contacts::{Contact, WidgetContact};
use crate::logging::entry::{JournalEntry, LoggedContact};
use crate::logging::merge::ContactLink;
use crate::protocol::commands::WidgetCommand;
use crate::protocol::widget::{
    service_request, ServiceRequest, ServiceResponse, WidgetMessage, SERVICE_RESPONSE,
};
use crate::service::data::{
    ContactSource, LogMatch, LogStore, LogWritten, ServiceError, ServiceState,
};
use crate::service::paths::ServicePath;
use crate::service::requests::*;
use crate::settings::site_options::{note_only_log_page, NOTE_FIELD};
use crate::url::{encode_component, WebUrl};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// At most this many contacts answer a search (the widget shows a short list).
pub const SEARCH_LIMIT: usize = 25;
/// The title of our call-log form in the widget.
pub const LOG_PAGE_TITLE: &str = "Log call to CRM";
/// A match request for more numbers than this is refused (the widget batches far fewer).
pub const MATCH_LIMIT: usize = 1_000;

/// Something the edge must do besides answering.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Open this http(s) URL in a new tab (a CRM record).
    OpenUrl(String),
    /// Open crm-bridge's options page.
    OpenOptions,
    /// Post this message into the widget (e.g. an authorization update).
    PostToWidget(Value),
    /// Keep these widget-settings values (item id → value) in the user's settings.
    SaveWidgetToggles(std::collections::BTreeMap<String, Value>),
    /// Keep the background's recent errors (their JSON) across worker stops.
    KeepErrors(String),
    /// Keep the phone's login state (its JSON) for this browser session (toolbar popup).
    KeepPhoneLogin(String),
    /// Keep the passes of admitted widget hosts for this browser session.
    KeepPasses(std::collections::BTreeMap<String, PassHolder>),
    /// Stop unless the browser granted this match pattern (the user's click asked for it).
    RequirePermission(String),
    /// Store these settings, then use them.
    SaveSettings(Box<crate::settings::Settings>),
    /// Make the content-script registration cover exactly the enabled, granted sites.
    RegisterSites,
    /// Put the widget into the open tabs of this match pattern, without a reload.
    InjectWidget(String),
    /// Take the widget out of the open tabs of this match pattern.
    RemoveWidget(String),
    /// Give back the browser permission for this match pattern.
    ReleasePermission(String),
    /// Contacts were written: ask open widgets to re-sync (debounced by the edge).
    ContactsChanged,
    /// Log deliveries were queued: send what is due (the outbox keeps them until delivered).
    DeliverLogs,
    /// Keep the bulk import job (its JSON) across worker stops and browser restarts.
    KeepImport(String),
    /// Run the bulk import's pages (the edge keeps one runner going while a job runs).
    RunImport,
    /// Read an open tab of the site (match pattern) with this recipe and answer with what
    /// discovery finds there ([`crate::protocol::bridge::Reply::RecipePreview`]); the edge
    /// replaces the request's answer with it.
    PreviewRecipe {
        /// The site's match pattern.
        pattern: String,
        /// The recipe to try.
        recipe: Option<Box<crate::settings::recipe::Recipe>>,
    },
    /// Focus the phone window, or open `widget.html` with this admission ticket in a new one.
    OpenPhoneWindow {
        /// A fresh ticket for the new window's widget host.
        ticket: String,
    },
}

/// The answer to one widget message.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The `rc-post-message-response` to post into the widget.
    pub response: WidgetMessage,
    /// What else to do.
    pub effects: Vec<Effect>,
}

/// A handler's `response` object: a value, or (a contact sync page, the largest answer) JSON
/// text written straight from the contacts, with no value tree built first.
enum Response {
    Value(Value),
    Text(Box<RawValue>),
}

impl From<Value> for Response {
    fn from(value: Value) -> Self {
        Self::Value(value)
    }
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(value) => value.serialize(serializer),
            Self::Text(text) => text.serialize(serializer),
        }
    }
}

type Handled = Result<(Response, Vec<Effect>), ServiceError>;

/// Whom a pass admits again after a worker restart: the host's tab, and the enabled site of
/// the page it was framed on (so its calls are still handled for that site).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PassHolder {
    /// The host's tab.
    pub tab: Option<i64>,
    /// The site the host's calls are handled for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// Routes widget service requests to handlers over the data traits.
pub struct ServiceRouter<C, L, S> {
    service_name: String,
    contacts: C,
    logs: L,
    state: S,
}

impl<C: ContactSource, L: LogStore, S: ServiceState> ServiceRouter<C, L, S> {
    /// A router answering as service `service_name` (contacts carry it as their `type`).
    pub fn new(service_name: &str, contacts: C, logs: L, state: S) -> Self {
        Self {
            service_name: service_name.to_owned(),
            contacts,
            logs,
            state,
        }
    }

    /// The contact source (discovery feeds it).
    pub fn contacts(&self) -> &C {
        &self.contacts
    }

    /// The log store.
    pub fn logs(&self) -> &L {
        &self.logs
    }

    /// The service state (settings items, do-not-contact list, authorization).
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Answers a widget message; `None` for messages that are not service requests (events)
    /// and for requests so broken they carry no id to answer to.
    pub async fn answer(&self, message: &Value) -> Option<Answer> {
        self.answer_for(message, None).await
    }

    /// [`Self::answer`] for a phone framed on a page of `site`: where a number belongs to
    /// contacts of several sites, matching and logging prefer that site's (a contact another
    /// site stored on its customer's number must not hide it or take its logs).
    pub async fn answer_for(&self, message: &Value, site: Option<&str>) -> Option<Answer> {
        let request = match service_request(message)? {
            Ok(request) => request,
            Err(reason) => {
                let id = message.get("requestId").and_then(Value::as_str)?;
                return Some(error_answer(id, &format!("malformed request: {reason}")));
            }
        };
        let handled = match ServicePath::from_path(&request.path) {
            Some(path) => self.route(path, &request, site).await,
            None => Err(ServiceError(format!(
                "crm-bridge does not serve the path \"{}\"",
                truncate(&request.path, 200)
            ))),
        };
        Some(match handled {
            Ok((response, effects)) => Answer {
                response: envelope(&request.request_id, response),
                effects,
            },
            Err(err) => error_answer(&request.request_id, &err.0),
        })
    }

    async fn route(
        &self,
        path: ServicePath,
        request: &ServiceRequest,
        site: Option<&str>,
    ) -> Handled {
        let ok = || Ok((json!({ "data": "ok" }).into(), Vec::new()));
        match path {
            ServicePath::Contacts => self.contacts_page(body(request)?).await,
            ServicePath::ContactSearch => self.search(body(request)?).await,
            ServicePath::ContactMatch => self.match_numbers(body(request)?, site).await,
            ServicePath::ViewMatchedContact => self.view_contact(&request.body).await,
            ServicePath::Activities => self.activities(&request.body).await,
            ServicePath::CallLogger => self.log_call(body(request)?, site).await,
            ServicePath::CallLogEntityMatcher => {
                let query: CallLogMatch = body(request)?;
                let matches = self.logs.call_log_matches(&query.session_ids).await?;
                let data = self.with_status_lines(matches, JournalEntry::call_key);
                Ok((with_data(data).into(), Vec::new()))
            }
            ServicePath::MessageLogger => self.log_messages(body(request)?, site).await,
            ServicePath::MessageLogEntityMatcher => {
                let query: MessageLogMatch = body(request)?;
                let matches = self
                    .logs
                    .message_log_matches(&query.conversation_log_ids)
                    .await?;
                let data = self.with_status_lines(matches, JournalEntry::messages_key);
                Ok((with_data(data).into(), Vec::new()))
            }
            ServicePath::Settings => {
                let change: SettingsChange = body(request)?;
                let values = crate::service::description::toggle_values(&change.settings);
                self.state.save_widget_settings(change.settings).await?;
                Ok((
                    json!({ "data": "ok" }).into(),
                    vec![Effect::SaveWidgetToggles(values)],
                ))
            }
            ServicePath::ButtonEvent => {
                let event: ButtonEvent = body(request)?;
                let effects = match event.button.id.as_str() {
                    crate::service::description::OPEN_OPTIONS_BUTTON => vec![Effect::OpenOptions],
                    crate::logging::notice::BANNER_ID if !event.button.dismissed => {
                        vec![Effect::OpenOptions]
                    }
                    _ => Vec::new(),
                };
                Ok((json!({ "data": "ok" }).into(), effects))
            }
            ServicePath::Feedback => {
                Ok((json!({ "data": "ok" }).into(), vec![Effect::OpenOptions]))
            }
            ServicePath::Authorization => self.authorization(body(request)?).await,
            ServicePath::DoNotContact => {
                let check: DoNotContactCheck = body(request)?;
                let verdict = self.state.do_not_contact(&check.numbers()).await?;
                Ok((json!({ "data": verdict }).into(), Vec::new()))
            }
            ServicePath::MeetingUpcoming => Ok((json!({ "data": [] }).into(), Vec::new())),
            // Form and page events, activity clicks, vCards and meeting invites need no data
            // back; the widget ignores these answers, but always gets one.
            ServicePath::Activity => self.open_activity(&request.body).await,
            ServicePath::CallLogPageInputChanged
            | ServicePath::MessagesLogPageInputChanged
            | ServicePath::CustomizedPageInputChanged
            | ServicePath::Vcard
            | ServicePath::MeetingInvite => ok(),
        }
    }

    /// A matcher's answer, with a status line after the log of each call or conversation whose
    /// delivery needs the user (`key_of` makes the entry key of an asked id).
    fn with_status_lines(
        &self,
        matches: BTreeMap<String, Vec<LogMatch>>,
        key_of: fn(&str) -> String,
    ) -> Value {
        let mut data = Map::with_capacity(matches.len());
        for (id, found) in matches {
            let mut entries: Vec<Value> = found
                .iter()
                .filter_map(|m| serde_json::to_value(m).ok())
                .collect();
            entries.extend(self.logs.delivery_status_line(&key_of(&id)));
            data.insert(id, Value::Array(entries));
        }
        Value::Object(data)
    }

    /// A page of the contact sync, written straight to text.
    async fn contacts_page(&self, query: ContactsQuery) -> Handled {
        let page = self
            .contacts
            .contacts_page(query.sync_timestamp, query.page)
            .await?;
        let data = ContactsData {
            data: page
                .contacts
                .iter()
                .map(|c| c.widget_view(&self.service_name))
                .collect(),
            next_page: page.next_page,
            sync_timestamp: page.sync_timestamp.max(1),
        };
        let text = serde_json::value::to_raw_value(&data)
            .map_err(|err| ServiceError(format!("the contact page cannot be written: {err}")))?;
        Ok((Response::Text(text), Vec::new()))
    }

    async fn search(&self, query: ContactSearch) -> Handled {
        let text = query.search_string.trim();
        let found = if text.is_empty() {
            Vec::new()
        } else {
            self.contacts.search(text, SEARCH_LIMIT).await?
        };
        let data: Vec<Value> = found
            .iter()
            .map(|c| c.to_widget(&self.service_name))
            .collect();
        Ok((with_data(Value::Array(data)).into(), Vec::new()))
    }

    async fn match_numbers(&self, query: ContactMatch, site: Option<&str>) -> Handled {
        if query.phone_numbers.len() > MATCH_LIMIT {
            return Err(ServiceError(format!(
                "too many numbers in one match request ({}; at most {MATCH_LIMIT})",
                query.phone_numbers.len()
            )));
        }
        let mut asked = Vec::with_capacity(query.phone_numbers.len());
        for number in &query.phone_numbers {
            if !self.state.is_own_number(number).await {
                asked.push(number.clone());
            }
        }
        let matches = self.contacts.match_numbers(&asked).await?;
        let data: Map<String, Value> = matches
            .into_iter()
            .filter(|(_, contacts)| !contacts.is_empty())
            .map(|(number, contacts)| {
                let list = preferred(contacts, site)
                    .iter()
                    .map(|c| c.to_widget(&self.service_name))
                    .collect();
                (number, Value::Array(list))
            })
            .collect();
        Ok((with_data(Value::Object(data)).into(), Vec::new()))
    }

    /// Logs a call, unless the user pressed Log/Edit on a site with its own call-log form:
    /// then the widget is sent that form (pre-filled with the logged note) and opens it; Save
    /// comes back as a `logForm` request with the form data (protocol.md §4.8).
    async fn log_call(&self, log: CallLog, site: Option<&str>) -> Handled {
        if log.opens_log_form() {
            let site = match log.contact_id() {
                Some(id) => self.contacts.contact(&id).await?.and_then(|c| c.site),
                None => None,
            };
            let options = self.state.site_options(site.as_deref()).await;
            let own_form = options.as_ref().is_some_and(|o| !o.log_form.is_empty());
            // A Log press that brings no note of its own (the widget's has none without its
            // log modal) asks for one first; a request that brings one is logged as it is.
            let brings_note =
                log.note_text().is_some_and(|n| !n.trim().is_empty()) || log.form_data.is_some();
            if own_form || !brings_note {
                let session = log.call.session_id.clone();
                let form_data = self.saved_form(&session).await?;
                let page = options
                    .and_then(|o| o.log_page(LOG_PAGE_TITLE, &form_data))
                    .unwrap_or_else(|| note_only_log_page(LOG_PAGE_TITLE, &form_data));
                let show = [
                    WidgetCommand::UpdateCallLogPage { page },
                    WidgetCommand::NavigateTo {
                        path: format!("/log/call/{}", encode_component(&session)),
                    },
                ];
                let effects = show
                    .iter()
                    .map(|c| Effect::PostToWidget(c.to_message()))
                    .collect();
                return Ok((json!({ "data": "ok" }).into(), effects));
            }
        }
        let link = self
            .link(log.contact_id(), log.other_party_number(), site)
            .await?;
        let destinations = self.state.log_destinations().await;
        let written = self.logs.log_call(&log, link, &destinations).await?;
        Ok((json!({ "data": "ok" }).into(), delivery_effects(&written)))
    }

    /// What the user saved in a call's log form (every field) and its note, to pre-fill the
    /// form when they log the call again or press Edit; empty for a call not logged yet.
    async fn saved_form(&self, session: &str) -> Result<Map<String, Value>, ServiceError> {
        let Some(entry) = self.logs.entry(&JournalEntry::call_key(session)).await? else {
            return Ok(Map::new());
        };
        let mut form_data = match entry.form {
            Some(Value::Object(saved)) => saved,
            _ => Map::new(),
        };
        if let Some(note) = entry.note {
            form_data.insert(NOTE_FIELD.into(), Value::from(note));
        }
        Ok(form_data)
    }

    /// Logs one conversation-day of messages.
    async fn log_messages(&self, log: MessageLog, site: Option<&str>) -> Handled {
        let link = self
            .link(log.contact_id(), log.correspondent_number(), site)
            .await?;
        let destinations = self.state.log_destinations().await;
        let written = self.logs.log_message(&log, link, &destinations).await?;
        Ok((json!({ "data": "ok" }).into(), delivery_effects(&written)))
    }

    /// Who a log is about: the contact the widget named, if this browser knows it; else the
    /// one contact on the other party's number. Several contacts on the number, or one of the
    /// company's own numbers, link nobody: a wrong record is worse than none.
    async fn link(
        &self,
        named: Option<String>,
        number: Option<String>,
        site: Option<&str>,
    ) -> Result<ContactLink, ServiceError> {
        if let Some(id) = named {
            return Ok(match self.contacts.contact(&id).await? {
                Some(contact) => ContactLink::Named(logged_contact(&contact)),
                None => ContactLink::Unknown(format!(
                    "the phone named contact {}, which crm-bridge does not know (forgotten or \
                     from another browser)",
                    truncate(&id, 100)
                )),
            });
        }
        let Some(number) = number.filter(|n| !n.trim().is_empty()) else {
            return Ok(ContactLink::Unknown("the phone gave no number".into()));
        };
        if self.state.is_own_number(&number).await {
            return Ok(ContactLink::Unknown(
                "the number is one of the company's own".into(),
            ));
        }
        let found = self
            .contacts
            .match_numbers(std::slice::from_ref(&number))
            .await?
            .remove(&number)
            .map(|contacts| preferred(contacts, site));
        Ok(match found.as_deref() {
            Some([only]) => ContactLink::ByNumber(logged_contact(only)),
            Some(several) if several.len() > 1 => ContactLink::Unknown(format!(
                "{} contacts share this number; pick one in the phone and log again",
                several.len()
            )),
            _ => ContactLink::Unknown("no contact has this number".into()),
        })
    }

    async fn view_contact(&self, body: &Value) -> Handled {
        let id = body
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ServiceError("the contact to view has no id".into()))?;
        let record = self
            .contacts
            .contact(id)
            .await?
            .and_then(|c| record_on_own_site(c.site.as_deref(), c.record_url));
        // The URL came from a web page: open it only if it is a plain http(s) URL of its site.
        match record.as_deref().map(WebUrl::parse) {
            Some(Ok(url)) => Ok((
                json!({ "data": "ok" }).into(),
                vec![Effect::OpenUrl(url.to_string())],
            )),
            _ => Err(ServiceError(format!(
                "no CRM record is known for contact {}",
                truncate(id, 100)
            ))),
        }
    }

    async fn activities(&self, body: &Value) -> Handled {
        let query = ActivitiesQuery::from_body(body)
            .ok_or_else(|| ServiceError("the activities request names no contact".into()))?;
        let rows = self.logs.activities(&query.contact_id).await?;
        Ok((json!({ "data": rows }).into(), Vec::new()))
    }

    /// A click on an activity row opens the contact's CRM record, or the journal when the entry
    /// has none (an unknown caller).
    async fn open_activity(&self, body: &Value) -> Handled {
        let id = body
            .get("activity")
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let record = match self.logs.entry(id).await? {
            Some(entry) => {
                record_on_own_site(entry.contact.site.as_deref(), entry.contact.record_url)
            }
            None => None,
        };
        let effect = match record.as_deref().map(WebUrl::parse) {
            Some(Ok(url)) => Effect::OpenUrl(url.to_string()),
            _ => Effect::OpenOptions,
        };
        Ok((json!({ "data": "ok" }).into(), vec![effect]))
    }

    async fn authorization(&self, press: AuthorizationPress) -> Handled {
        let authorized = !press.authorized;
        self.state.set_authorized(authorized).await?;
        let update = WidgetCommand::UpdateAuthorizationStatus {
            authorized,
            authorized_account: if authorized { "this browser" } else { "" }.into(),
        };
        Ok((
            json!({ "data": "ok" }).into(),
            vec![Effect::PostToWidget(update.to_message())],
        ))
    }
}

/// A record URL only when it is a page of the contact's own site (see
/// [`crate::contacts::record::is_on_site`]); records stored before that rule are checked here.
fn record_on_own_site(site: Option<&str>, url: Option<String>) -> Option<String> {
    url.filter(|url| site.is_some_and(|site| crate::contacts::record::is_on_site(site, url)))
}

/// The contacts of `site` among `contacts`, when it has any; else all of them.
fn preferred(contacts: Vec<Contact>, site: Option<&str>) -> Vec<Contact> {
    let of_site = |c: &Contact| site.is_some() && c.site.as_deref() == site;
    match contacts.iter().any(of_site) {
        true => contacts.into_iter().filter(of_site).collect(),
        false => contacts,
    }
}

/// A contact as a journal entry records it.
fn logged_contact(contact: &Contact) -> LoggedContact {
    LoggedContact {
        id: Some(contact.id.clone()),
        name: Some(contact.name.clone()).filter(|n| !n.is_empty()),
        site: contact.site.clone(),
        record_url: contact.record_url.clone(),
        unlinked_because: None,
    }
}

/// New deliveries in the outbox: the edge starts sending.
fn delivery_effects(written: &LogWritten) -> Vec<Effect> {
    match written.queued {
        0 => Vec::new(),
        _ => vec![Effect::DeliverLogs],
    }
}

fn body<T: DeserializeOwned>(request: &ServiceRequest) -> Result<T, ServiceError> {
    T::deserialize(&request.body).map_err(|err| {
        ServiceError(format!(
            "the request body for {} cannot be read: {}",
            request.path,
            truncate(&err.to_string(), 300)
        ))
    })
}

/// `{"data": data}`, with `data` moved in rather than copied (as `json!` would).
fn with_data(data: Value) -> Value {
    let mut response = Map::with_capacity(1);
    response.insert("data".into(), data);
    Value::Object(response)
}

/// The response message around `response`.
fn envelope(request_id: &str, response: Response) -> WidgetMessage {
    WidgetMessage::of(&ResponseMessage {
        kind: SERVICE_RESPONSE,
        response_id: request_id,
        response,
    })
}

/// An `rc-post-message-response` (see [`ServiceResponse`]), borrowing its parts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    response_id: &'a str,
    response: Response,
}

/// `response` of a contact sync page (protocol.md §4.1).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContactsData<'a> {
    data: Vec<WidgetContact<'a>>,
    next_page: Option<u64>,
    sync_timestamp: u64,
}

fn error_answer(request_id: &str, message: &str) -> Answer {
    Answer {
        response: WidgetMessage::of(&ServiceResponse::error(request_id, message)),
        effects: Vec::new(),
    }
}

/// Cuts echoed input so a 1 MB path or body never comes back in an error text.
fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{Contact, ContactPhone};
    use crate::logging::outbox::{AttemptResult, Verdict};
    use crate::service::description::default_widget_settings;
    use crate::service::memory::{MemoryContacts, MemoryLogs, MemoryState};
    use crate::settings::site_options::{SiteOptions, SiteOptionsText};
    use crate::sites::SitePattern;
    use crate::test_support::block_on;
    use std::collections::BTreeMap;

    fn router() -> ServiceRouter<MemoryContacts, MemoryLogs, MemoryState> {
        let router = ServiceRouter::new(
            "crm-bridge",
            MemoryContacts::new(2),
            MemoryLogs::default(),
            MemoryState::new(default_widget_settings()),
        );
        for (id, name, number, record) in [
            (
                "1",
                "Ava Thompson",
                "+12065550134",
                "https://crm.test/contacts/1",
            ),
            (
                "2",
                "Marcus Lee",
                "+12065550147",
                "javascript:alert(document.cookie)",
            ),
            (
                "3",
                "Priya Natarajan",
                "+12065550134",
                "https://crm.test/contacts/3",
            ),
        ] {
            router.contacts().upsert(Contact {
                id: id.into(),
                name: name.into(),
                phone_numbers: vec![ContactPhone {
                    phone_number: number.into(),
                    phone_type: "business".into(),
                    display: None,
                }],
                record_url: Some(record.into()),
                site: Some("https://crm.test".into()),
                ..Default::default()
            });
        }
        router
    }

    fn ask(
        router: &ServiceRouter<MemoryContacts, MemoryLogs, MemoryState>,
        path: &str,
        body: Value,
    ) -> Answer {
        let message = json!({ "type": "rc-post-message-request", "requestId": "r", "path": path, "body": body });
        block_on(router.answer(&message)).expect("an answer")
    }

    #[test]
    fn viewing_a_contact_opens_its_record_but_never_a_script_url() {
        let router = router();
        let answer = ask(
            &router,
            "/contacts/view",
            json!({ "id": "1", "name": "Ava Thompson" }),
        );
        assert_eq!(
            answer.effects,
            vec![Effect::OpenUrl("https://crm.test/contacts/1".into())]
        );
        let hostile = ask(&router, "/contacts/view", json!({ "id": "2" }));
        assert!(hostile.effects.is_empty());
        assert!(hostile.response.value()["response"]["error"].is_string());
        // A record URL on another origin, kept before records were checked: never opened.
        router.contacts().upsert(Contact {
            id: "4".into(),
            name: "Linked From A Comment".into(),
            record_url: Some("https://evil.example/contacts/4".into()),
            site: Some("https://crm.test".into()),
            ..Default::default()
        });
        let foreign = ask(&router, "/contacts/view", json!({ "id": "4" }));
        assert!(foreign.effects.is_empty(), "{:?}", foreign.effects);
    }

    #[test]
    fn the_site_the_phone_is_framed_on_wins_a_number_another_site_also_stored() {
        let router = router();
        // Site B stored a contact on site A's customer's number (+12065550147, Marcus Lee).
        router.contacts().upsert(Contact {
            id: "b-1".into(),
            name: "Planted By B".into(),
            phone_numbers: vec![ContactPhone {
                phone_number: "+12065550147".into(),
                phone_type: "business".into(),
                display: None,
            }],
            site: Some("https://b.example".into()),
            ..Default::default()
        });
        let matched = |site| {
            let message = json!({ "type": "rc-post-message-request", "requestId": "r",
                "path": "/contacts/match", "body": { "phoneNumbers": ["+12065550147"] } });
            let answer = block_on(router.answer_for(&message, site)).unwrap();
            let names: Vec<String> = answer.response.value()["response"]["data"]["+12065550147"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect();
            names
        };
        assert_eq!(matched(Some("https://crm.test")), ["Marcus Lee"]);
        assert_eq!(matched(Some("https://b.example")), ["Planted By B"]);
        assert_eq!(matched(None).len(), 2, "the phone window: both");
        assert_eq!(matched(Some("https://other.example")).len(), 2);
        // A call logged from site A's page goes to A's contact, not to nobody.
        let log = json!({ "type": "rc-post-message-request", "requestId": "l", "path": "/callLogger",
            "body": { "call": { "sessionId": "s-b", "direction": "Inbound",
                "from": { "phoneNumber": "+12065550147" } }, "triggerType": "createLog", "note": "n" } });
        block_on(router.answer_for(&log, Some("https://crm.test"))).unwrap();
        let entry = block_on(router.logs().entry("call:s-b")).unwrap().unwrap();
        assert_eq!(entry.contact.name.as_deref(), Some("Marcus Lee"));
    }

    #[test]
    fn a_shared_number_matches_every_contact_on_it() {
        let router = router();
        let answer = ask(
            &router,
            "/contacts/match",
            json!({ "phoneNumbers": ["12065550134", "+19999999999"] }),
        );
        let data = &answer.response.value()["response"]["data"];
        assert_eq!(data["12065550134"].as_array().unwrap().len(), 2, "{data}");
        assert!(data.get("+19999999999").is_none(), "no match means no key");
    }

    #[test]
    fn contact_sync_pages_and_deltas_use_the_change_cursor() {
        let router = router();
        let first = ask(
            &router,
            "/contacts",
            json!({ "page": 1, "syncTimestamp": null }),
        );
        // Pages continue after the last sequence number sent (3 contacts, pages of 2).
        let next = first.response.value()["response"]["nextPage"].clone();
        assert_eq!(next, 3);
        let cursor = first.response.value()["response"]["syncTimestamp"]
            .as_u64()
            .unwrap();
        let second = ask(
            &router,
            "/contacts",
            json!({ "page": next, "syncTimestamp": null }),
        );
        assert_eq!(
            second.response.value()["response"]["data"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert!(second.response.value()["response"]["nextPage"].is_null());
        router.contacts().remove("2");
        let delta = ask(
            &router,
            "/contacts",
            json!({ "page": 1, "syncTimestamp": cursor }),
        );
        let delta = delta.response.value();
        let changed = delta["response"]["data"].as_array().unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0]["deleted"], true);
    }

    #[test]
    fn do_not_contact_restricts_listed_numbers() {
        let router = router();
        let options = SiteOptionsText {
            do_not_contact: "+1 (206) 555-0147, asked in March".into(),
            restrict: true,
            log_form: String::new(),
            ..SiteOptionsText::default()
        };
        let site = SitePattern::parse("crm.example.com").unwrap();
        router
            .state()
            .set_site_options(BTreeMap::from([(site.clone(), options.parse().unwrap())]));
        let call = ask(
            &router,
            "/doNotContact",
            json!({ "actionType": "call", "phoneNumber": "+12065550147" }),
        );
        assert_eq!(call.response.value()["response"]["data"]["result"], true);
        assert_eq!(
            call.response.value()["response"]["data"]["mode"],
            "restrict"
        );
        assert_eq!(
            call.response.value()["response"]["data"]["message"],
            "+12065550147 is on the do-not-contact list of https://crm.example.com: asked in March"
        );
        let sms = ask(
            &router,
            "/doNotContact",
            json!({ "actionType": "sms", "recipients": [{ "phoneNumber": "+12065550134" }] }),
        );
        assert_eq!(
            sms.response.value()["response"]["data"],
            json!({ "result": false })
        );
    }

    #[test]
    fn logged_calls_show_as_the_contacts_activities_newest_first() {
        let router = router();
        for (session, start) in [("s1", 1_000.0), ("s2", 5_000.0)] {
            ask(
                &router,
                "/callLogger",
                json!({
                    "call": { "sessionId": session, "direction": "Inbound", "startTime": start, "result": "Call connected" },
                    "triggerType": "createLog", "fromEntity": { "id": "1" }, "note": "hello"
                }),
            );
        }
        let activities = ask(&router, "/activities", json!({ "contact": { "id": "1" } }));
        let activities = activities.response.value();
        let rows = activities["response"]["data"].as_array().unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["call:s2", "call:s1"]
        );
        let matched = ask(
            &router,
            "/callLogger/match",
            json!({ "sessionIds": ["s1", "s9"] }),
        );
        assert_eq!(
            matched.response.value()["response"]["data"]["s1"][0]["note"],
            "hello"
        );
        assert!(matched.response.value()["response"]["data"]
            .get("s9")
            .is_none());
    }

    fn site_with(dnc: &str, restrict: bool, form: &str) -> (SitePattern, SiteOptions) {
        let text = SiteOptionsText {
            do_not_contact: dnc.into(),
            restrict,
            log_form: form.into(),
            ..SiteOptionsText::default()
        };
        (
            SitePattern::parse(&format!("crm{}.example.com", form.len() + dnc.len())).unwrap(),
            text.parse().unwrap(),
        )
    }

    #[test]
    fn do_not_contact_asks_unless_a_listing_site_restricts() {
        let router = router();
        let (warn_site, warn) = site_with("2065550147, prefers e-mail", false, "");
        router
            .state()
            .set_site_options(BTreeMap::from([(warn_site.clone(), warn.clone())]));
        let body = json!({ "actionType": "call", "phoneNumber": "+12065550147" });
        let asked = ask(&router, "/doNotContact", body.clone());
        assert_eq!(asked.response.value()["response"]["data"]["result"], true);
        assert!(
            asked.response.value()["response"]["data"]
                .get("mode")
                .is_none(),
            "asks"
        );
        let (block_site, block) = site_with("+12065550147", true, "");
        router
            .state()
            .set_site_options(BTreeMap::from([(warn_site, warn), (block_site, block)]));
        let blocked = ask(&router, "/doNotContact", body);
        assert_eq!(
            blocked.response.value()["response"]["data"]["mode"],
            "restrict"
        );
    }

    #[test]
    fn a_sites_log_form_is_shown_on_log_and_its_data_logged_on_save() {
        let router = router();
        let (site, options) = site_with(
            "",
            false,
            "Disposition*: Interested | Not now | Call back\nFollow-up needed [x]\nSubject",
        );
        router
            .state()
            .set_site_options(BTreeMap::from([(site.clone(), options)]));
        router.contacts().upsert(Contact {
            id: "9".into(),
            name: "Site Person".into(),
            site: Some(site.to_string()),
            ..Default::default()
        });
        let call = json!({ "sessionId": "s/7", "direction": "Inbound", "startTime": 1.0 });
        let pressed = ask(
            &router,
            "/callLogger",
            json!({ "call": call, "triggerType": "createLog", "fromEntity": { "id": "9" } }),
        );
        assert_eq!(pressed.response.value()["response"]["data"], "ok");
        let [Effect::PostToWidget(page), Effect::PostToWidget(open)] = pressed.effects.as_slice()
        else {
            panic!("{:?}", pressed.effects)
        };
        assert_eq!(page["type"], "rc-adapter-update-call-log-page");
        assert_eq!(page["page"]["title"], LOG_PAGE_TITLE);
        assert_eq!(page["page"]["schema"]["required"], json!(["disposition"]));
        assert_eq!(
            page["page"]["uiSchema"]["ui:order"],
            json!(["disposition", "followUpNeeded", "subject", "note"])
        );
        assert_eq!(open["path"], "/log/call/s%2F7");
        let not_yet = ask(
            &router,
            "/callLogger/match",
            json!({ "sessionIds": ["s/7"] }),
        );
        assert_eq!(
            not_yet.response.value()["response"]["data"],
            json!({}),
            "not logged on Log"
        );

        let saved = ask(
            &router,
            "/callLogger",
            json!({ "call": call, "triggerType": "logForm", "fromEntity": { "id": "9" },
                    "formData": { "disposition": "Interested", "note": "wants a demo" } }),
        );
        assert!(saved.effects.is_empty());
        let logged = ask(
            &router,
            "/callLogger/match",
            json!({ "sessionIds": ["s/7"] }),
        );
        assert_eq!(
            logged.response.value()["response"]["data"]["s/7"][0]["note"],
            "wants a demo"
        );

        let edit_form_data = || {
            let edit = ask(
                &router,
                "/callLogger",
                json!({ "call": call, "triggerType": "editLog", "fromEntity": { "id": "9" } }),
            );
            let Effect::PostToWidget(page) = &edit.effects[0] else {
                panic!("{:?}", edit.effects)
            };
            page["page"]["formData"].clone()
        };
        assert_eq!(
            edit_form_data(),
            json!({ "disposition": "Interested", "note": "wants a demo" }),
            "pre-filled"
        );
        // Saved again with every field: Edit brings every saved value back.
        let full = json!({ "disposition": "Call back", "followUpNeeded": true,
                           "subject": "Q3 order", "note": "ring after 3" });
        ask(
            &router,
            "/callLogger",
            json!({ "call": call, "triggerType": "logForm", "fromEntity": { "id": "9" },
                    "formData": full }),
        );
        assert_eq!(edit_form_data(), full, "every saved value");
    }

    #[test]
    fn without_a_form_log_logs_at_once() {
        let router = router();
        let answer = ask(
            &router,
            "/callLogger",
            json!({ "call": { "sessionId": "s1" }, "triggerType": "createLog", "note": "n" }),
        );
        assert!(answer.effects.is_empty());
        let logged = ask(
            &router,
            "/callLogger/match",
            json!({ "sessionIds": ["s1"] }),
        );
        assert_eq!(
            logged.response.value()["response"]["data"]["s1"][0]["note"],
            "n"
        );
    }

    #[test]
    fn without_a_form_log_without_a_note_asks_for_one_first() {
        let router = router();
        let call = json!({ "sessionId": "s2", "direction": "Inbound", "startTime": 1.0 });
        let match_s2 = |router: &ServiceRouter<MemoryContacts, MemoryLogs, MemoryState>| {
            let answer = ask(router, "/callLogger/match", json!({ "sessionIds": ["s2"] }));
            answer.response.value()["response"]["data"]["s2"].clone()
        };
        for note in [json!(null), json!(""), json!("   ")] {
            let pressed = ask(
                &router,
                "/callLogger",
                json!({ "call": call, "triggerType": "createLog", "note": note }),
            );
            assert_eq!(pressed.response.value()["response"]["data"], "ok");
            let [Effect::PostToWidget(page), Effect::PostToWidget(open)] =
                pressed.effects.as_slice()
            else {
                panic!("{:?}", pressed.effects)
            };
            let properties = &page["page"]["schema"]["properties"];
            assert_eq!(properties.as_object().map(|p| p.len()), Some(1), "{page}");
            assert_eq!(page["page"]["uiSchema"]["note"]["ui:widget"], "textarea");
            assert_eq!(open["path"], "/log/call/s2");
            assert_eq!(
                match_s2(&router),
                Value::Null,
                "nothing logged yet ({note})"
            );
        }
        let saved = ask(
            &router,
            "/callLogger",
            json!({ "call": call, "triggerType": "logForm", "formData": { "note": "call back on Monday" } }),
        );
        assert!(saved.effects.is_empty());
        assert_eq!(match_s2(&router)[0]["note"], "call back on Monday");
        // Edit: the page again, with the logged note in it.
        let edit = ask(
            &router,
            "/callLogger",
            json!({ "call": call, "triggerType": "editLog" }),
        );
        let Effect::PostToWidget(page) = &edit.effects[0] else {
            panic!("{:?}", edit.effects)
        };
        assert_eq!(page["page"]["formData"]["note"], "call back on Monday");
    }

    #[test]
    fn the_companys_own_numbers_never_match_a_customer() {
        let router = router();
        router.state().set_own_numbers(&["+1 206 555 0134".into()]);
        let answer = ask(
            &router,
            "/contacts/match",
            json!({ "phoneNumbers": ["+12065550134", "+12065550134*101", "+12065550147"] }),
        );
        let data = &answer.response.value()["response"]["data"];
        assert!(data.get("+12065550134").is_none(), "the main line");
        assert!(data.get("+12065550134*101").is_none(), "an extension of it");
        assert_eq!(
            data["+12065550147"][0]["name"], "Marcus Lee",
            "others still match"
        );
    }

    fn logged(
        router: &ServiceRouter<MemoryContacts, MemoryLogs, MemoryState>,
        key: &str,
    ) -> crate::logging::entry::JournalEntry {
        block_on(router.logs().entry(key)).unwrap().expect("logged")
    }

    #[test]
    fn a_call_without_a_chosen_contact_is_linked_only_to_a_number_nobody_else_has() {
        let router = router();
        let from = |session: &str, number: &str| {
            json!({ "call": { "sessionId": session, "direction": "Inbound", "from": { "phoneNumber": number } },
                    "triggerType": "presenceUpdate" })
        };
        ask(&router, "/callLogger", from("a", "+12065550147"));
        assert_eq!(logged(&router, "call:a").contact_id.as_deref(), Some("2"));
        ask(&router, "/callLogger", from("b", "+12065550134"));
        let shared = logged(&router, "call:b");
        assert_eq!(
            shared.contact_id, None,
            "two contacts share it: nobody is guessed"
        );
        assert!(shared
            .contact
            .unlinked_because
            .unwrap()
            .contains("2 contacts share"));
        router.state().set_own_numbers(&["+12065550147".into()]);
        ask(&router, "/callLogger", from("c", "+12065550147"));
        assert_eq!(
            logged(&router, "call:c").contact_id,
            None,
            "the company's own line"
        );
        let named = json!({ "call": { "sessionId": "d", "direction": "Outbound", "to": { "phoneNumber": "+12065550147" } },
                            "toEntity": { "id": "gone" } });
        assert_eq!(
            ask(&router, "/callLogger", named).response.value()["response"]["data"],
            "ok"
        );
        let unknown = logged(&router, "call:d");
        assert_eq!(unknown.contact_id, None);
        assert!(unknown
            .contact
            .unlinked_because
            .unwrap()
            .contains("does not know"));
    }

    #[test]
    fn a_new_revision_is_queued_for_the_webhook_and_a_repeat_is_not() {
        let router = router();
        let site = SitePattern::parse("https://crm.example.com").unwrap();
        let options = SiteOptions {
            webhook: Some(crate::logging::webhook::Webhook {
                url: "https://hooks.example.com/crm".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        router
            .state()
            .set_site_options([(site, options)].into_iter().collect());
        let log = json!({ "call": { "sessionId": "w", "from": { "phoneNumber": "+4930123456" } }, "note": "hi" });
        let first = ask(&router, "/callLogger", log.clone());
        assert_eq!(first.effects, vec![Effect::DeliverLogs]);
        let again = ask(&router, "/callLogger", log);
        assert!(
            again.effects.is_empty(),
            "nothing changed, nothing to deliver"
        );
        let outbox = router.logs().outbox();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].destination, "webhook:https://crm.example.com");

        // Refused by the webhook: the matcher adds a status line after the call's log.
        let matched = |router: &ServiceRouter<MemoryContacts, MemoryLogs, MemoryState>| {
            let answer = ask(
                router,
                "/callLogger/match",
                json!({ "sessionIds": ["w", "x"] }),
            );
            answer.response.value()["response"]["data"].clone()
        };
        assert_eq!(matched(&router)["w"].as_array().map(Vec::len), Some(1));
        let refused = outbox[0].after_attempt(&AttemptResult::Status(401), 5.0);
        router.logs().settle(&outbox[0], refused);
        let data = matched(&router);
        assert_eq!(data["w"][0]["id"], "call:w", "still logged");
        assert_eq!(data["w"][1]["type"], "status");
        assert_eq!(data["w"][1]["status"], "failed");
        assert!(data["w"][1]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 401"));
        assert!(data.get("x").is_none(), "not logged, no line");
        // Delivered after a retry: the line is gone.
        let retried = router.logs().outbox()[0].clone();
        router.logs().settle(&retried, Verdict::Delivered);
        assert_eq!(matched(&router)["w"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn an_activity_click_opens_the_record_or_the_journal() {
        let router = router();
        ask(
            &router,
            "/callLogger",
            json!({ "call": { "sessionId": "r" }, "fromEntity": { "id": "1" } }),
        );
        ask(
            &router,
            "/callLogger",
            json!({ "call": { "sessionId": "u" } }),
        );
        let record = ask(
            &router,
            "/activity",
            json!({ "activity": { "id": "call:r" } }),
        );
        assert_eq!(
            record.effects,
            vec![Effect::OpenUrl("https://crm.test/contacts/1".into())]
        );
        let unknown = ask(
            &router,
            "/activity",
            json!({ "activity": { "id": "call:u" } }),
        );
        assert_eq!(unknown.effects, vec![Effect::OpenOptions]);
    }
}
