//! The extension-page end of the background channel.
//!
//! One port, opened lazily; when the worker is stopped (Chrome stops idle MV3 workers) the port
//! drops, and every request still unanswered is re-sent after the next worker says `ready`.
//! An answer is handed to the page once: a duplicate for an id already answered is dropped.

use crate::platform::{self, Port};
use crate::protocol::bridge::{Envelope, FromBackground, Reply, RequestId, ToBackground};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// What the page shows about the channel.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelState {
    /// Waiting for the worker's `ready`.
    Connecting,
    /// The worker (this version) is ready.
    Ready(String),
    /// The port dropped; it is re-opened when there is something to send.
    Disconnected,
}

type ReplyHandler = Box<dyn FnMut(RequestId, Reply)>;
type WidgetMessagesHandler = Box<dyn FnMut(&js_sys::Array)>;
type StateHandler = Box<dyn FnMut(ChannelState)>;

/// A page's connection to the background.
#[derive(Clone)]
pub struct BridgeClient {
    port_name: &'static str,
    link: Rc<RefCell<Link>>,
    handlers: Rc<Handlers>,
}

struct Handlers {
    on_reply: RefCell<ReplyHandler>,
    on_state: RefCell<StateHandler>,
    /// Takes [`Reply::ToWidget`] messages as they arrived, when set (see `receive`).
    on_widget_messages: RefCell<Option<WidgetMessagesHandler>>,
    /// Resolvers of requests sent with [`BridgeClient::request`], by id.
    waiting: RefCell<std::collections::HashMap<RequestId, js_sys::Function>>,
}

#[derive(Default)]
struct Link {
    port: Option<Port>,
    ready: bool,
    next_id: RequestId,
    /// Unanswered requests as sent, by id; re-sent in order after a reconnect.
    pending: BTreeMap<RequestId, String>,
    /// Listeners of the current port, dropped with it.
    listeners: Vec<Closure<dyn FnMut(JsValue)>>,
    /// Sent first after every `ready` once the host was admitted (a new worker must admit the
    /// new port before it serves anything widget-related).
    resume: Option<String>,
}

impl BridgeClient {
    /// A client whose answers go to `on_reply` and state changes to `on_state`.
    pub fn new(
        port_name: &'static str,
        on_reply: impl FnMut(RequestId, Reply) + 'static,
        on_state: impl FnMut(ChannelState) + 'static,
    ) -> Self {
        let client = Self {
            port_name,
            link: Rc::new(RefCell::new(Link::default())),
            handlers: Rc::new(Handlers {
                on_reply: RefCell::new(Box::new(on_reply)),
                on_state: RefCell::new(Box::new(on_state)),
                on_widget_messages: RefCell::new(None),
                waiting: RefCell::new(std::collections::HashMap::new()),
            }),
        };
        client.connect();
        client
    }

    /// Hands [`Reply::ToWidget`] messages to `handler` as the JavaScript objects the port
    /// delivered. The widget host only forwards them: turning a page of 1,000 contacts into
    /// JSON, a serde tree and back would cost more than the whole lookup behind it.
    pub fn on_widget_messages(&self, handler: impl FnMut(&js_sys::Array) + 'static) {
        *self.handlers.on_widget_messages.borrow_mut() = Some(Box::new(handler));
    }

    /// Queues a request and sends it as soon as the worker is ready.
    pub fn send(&self, body: ToBackground) -> RequestId {
        let (id, text) = {
            let mut link = self.link.borrow_mut();
            link.next_id += 1;
            let id = link.next_id;
            let text = serde_json::to_string(&Envelope { id, body }).unwrap_or_default();
            link.pending.insert(id, text.clone());
            (id, text)
        };
        let sendable = {
            let link = self.link.borrow();
            link.ready.then(|| link.port.clone()).flatten()
        };
        match sendable {
            Some(port) => post_text(&port, &text),
            None if self.link.borrow().port.is_none() => self.connect(),
            None => {}
        }
        id
    }

    /// After admission: re-admit every future port with this pass before re-sending anything.
    pub fn resume_with(&self, pass: String) {
        let envelope = Envelope {
            id: 0, // never a request id (those start at 1); its answer is not waited for
            body: ToBackground::Resume { pass },
        };
        self.link.borrow_mut().resume = serde_json::to_string(&envelope).ok();
    }

    /// Sends a request now and returns its answer to wait for (instead of passing it to
    /// `on_reply`): a caller may send the next request before awaiting this one's answer.
    pub fn request(
        &self,
        body: ToBackground,
    ) -> impl std::future::Future<Output = Result<Reply, JsValue>> + 'static {
        let mut resolver = None;
        let promise = js_sys::Promise::new(&mut |resolve, _| resolver = Some(resolve));
        let id = self.send(body);
        if let Some(resolve) = resolver {
            self.handlers.waiting.borrow_mut().insert(id, resolve);
        }
        async move {
            let text = wasm_bindgen_futures::JsFuture::from(promise).await?;
            serde_json::from_str(&text.as_string().unwrap_or_default())
                .map_err(|err| JsValue::from_str(&err.to_string()))
        }
    }

    fn connect(&self) {
        let port = match platform::connect(self.port_name) {
            Ok(port) => port,
            Err(err) => {
                platform::log_error(&format!("cannot reach the background: {err:?}"));
                return;
            }
        };
        let client = self.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            client.receive(&value);
        });
        let client = self.clone();
        let on_disconnect = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            client.dropped();
        });
        port.on_message()
            .add_listener(on_message.as_ref().unchecked_ref());
        port.on_disconnect()
            .add_listener(on_disconnect.as_ref().unchecked_ref());
        {
            let mut link = self.link.borrow_mut();
            link.port = Some(port);
            link.ready = false;
            link.listeners = vec![on_message, on_disconnect];
        }
        (self.handlers.on_state.borrow_mut())(ChannelState::Connecting);
    }

    fn receive(&self, value: &JsValue) {
        // Answers to our requests come as JSON text; pushes and `ready` as objects.
        let text = value.as_string();
        if self.handlers.on_widget_messages.borrow().is_some() {
            let object = match &text {
                Some(text) => js_sys::JSON::parse(text).ok(),
                None => Some(value.clone()),
            };
            if object.is_some_and(|object| self.forward_widget_messages(&object)) {
                return;
            }
        }
        let Some(message) = text
            .or_else(|| platform::to_json(value))
            .and_then(|text| serde_json::from_str::<FromBackground>(&text).ok())
        else {
            platform::log_error("unreadable message from the background");
            return;
        };
        match message {
            FromBackground::Ready { version } => {
                let (port, queued) = {
                    let mut link = self.link.borrow_mut();
                    link.ready = true;
                    // A resumed host re-admits the new port before anything is re-sent.
                    let queued = link.resume.iter().chain(link.pending.values()).cloned();
                    (link.port.clone(), queued.collect::<Vec<_>>())
                };
                if let Some(port) = port {
                    for text in &queued {
                        post_text(&port, text);
                    }
                }
                (self.handlers.on_state.borrow_mut())(ChannelState::Ready(version));
            }
            FromBackground::Push { reply } => (self.handlers.on_reply.borrow_mut())(0, reply),
            FromBackground::Reply { id, reply } => {
                let first_answer = self.link.borrow_mut().pending.remove(&id).is_some();
                if !first_answer {
                    return;
                }
                let waiter = self.handlers.waiting.borrow_mut().remove(&id);
                match waiter {
                    Some(resolve) => {
                        let text = serde_json::to_string(&reply).unwrap_or_default();
                        let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&text));
                    }
                    None => (self.handlers.on_reply.borrow_mut())(id, reply),
                }
            }
        }
    }

    /// The fast path for `{kind: "reply" | "push", reply: {kind: "toWidget", messages}}`:
    /// the envelope's few fields are read directly and the messages passed on untouched, with
    /// the same once-only rule for replies as the typed path.
    fn forward_widget_messages(&self, value: &JsValue) -> bool {
        let field = |object: &JsValue, name: &str| js_sys::Reflect::get(object, &name.into()).ok();
        let text = |object: &JsValue, name: &str| field(object, name).and_then(|v| v.as_string());
        if self.handlers.on_widget_messages.borrow().is_none() {
            return false;
        }
        let kind = text(value, "kind");
        if !matches!(kind.as_deref(), Some("reply" | "push")) {
            return false;
        }
        let Some(reply) = field(value, "reply") else {
            return false;
        };
        if text(&reply, "kind").as_deref() != Some("toWidget") {
            return false;
        }
        let Some(messages) = field(&reply, "messages").filter(js_sys::Array::is_array) else {
            return false;
        };
        if kind.as_deref() == Some("reply") {
            let Some(id) = field(value, "id").and_then(|id| id.as_f64()) else {
                return false;
            };
            let id = id as RequestId;
            if self.handlers.waiting.borrow().contains_key(&id) {
                return false; // someone awaits this answer: the typed path hands it over
            }
            if self.link.borrow_mut().pending.remove(&id).is_none() {
                return true; // answered already: a duplicate is dropped
            }
        }
        if let Some(handler) = self.handlers.on_widget_messages.borrow_mut().as_mut() {
            handler(&js_sys::Array::from(&messages));
        }
        true
    }

    fn dropped(&self) {
        let retry = {
            let mut link = self.link.borrow_mut();
            link.port = None;
            link.ready = false;
            // Listeners cannot be dropped while one of them runs; release them a tick later.
            let listeners = std::mem::take(&mut link.listeners);
            wasm_bindgen_futures::spawn_local(async move { drop(listeners) });
            !link.pending.is_empty()
        };
        (self.handlers.on_state.borrow_mut())(ChannelState::Disconnected);
        if retry {
            self.connect();
        }
    }
}

/// Sends a request as JSON text: the worker reads it without converting an object tree, and
/// answers in text too.
fn post_text(port: &Port, text: &str) {
    if let Err(err) = port.post_message(&JsValue::from_str(text)) {
        platform::log_error(&format!("could not send to the background: {err:?}"));
    }
}
