//! Helpers for the core's native tests (unit and integration); not part of the product.

use crate::background::{BackgroundCore, Caller, CallerKind};
use crate::protocol::bridge::{Reply, ToBackground};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future whose awaits complete at once (the in-memory fakes never wait).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("the future kept waiting: in-memory data should answer at once");
}

/// An extension-page caller that went through the ticket admission, as a widget host does.
pub fn admitted_caller(core: &BackgroundCore) -> Caller {
    let caller = Caller::new(CallerKind::ExtensionPage, None);
    let Reply::Ticket { ticket } = block_on(core.handle(ToBackground::WidgetTicket, &caller)).reply
    else {
        panic!("no ticket")
    };
    let admitted = block_on(core.handle(ToBackground::Admit { ticket }, &caller)).reply;
    assert!(
        matches!(admitted, Reply::Admitted { ok: true, .. }),
        "{admitted:?}"
    );
    caller
}

/// An empty journal entry of `kind` with this key and revision, for the logging rules' tests.
pub fn journal_entry(
    key: &str,
    kind: crate::logging::entry::EntryKind,
    revision: u32,
) -> crate::logging::entry::JournalEntry {
    crate::logging::entry::JournalEntry {
        key: key.into(),
        kind,
        contact_id: None,
        contact: Default::default(),
        time: 0.0,
        updated: 0.0,
        revision,
        note: None,
        form: None,
        call: None,
        conversation_id: None,
        messages: Vec::new(),
        number: None,
    }
}
