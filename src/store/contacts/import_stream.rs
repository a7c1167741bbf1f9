//! An import kept as a whole: its chunks ([`ImportBatch`], rules in
//! [`crate::contacts::import_batch`]) are written, as they arrive, into one IndexedDB
//! transaction that commits after the last. So an import is kept whole or not at all, and the
//! database pays for one commit instead of one per chunk (`make bench`: 100,000 contacts in
//! chunks of 2,000 as one transaction each took ≈1.3× a plain-JS put of the same records in
//! one transaction).
//!
//! A transaction stays open only while it has requests pending, and takes new ones only while
//! one of its requests reports back. So one writer task owns it: it issues a chunk's puts at
//! once, then waits on them a block at a time; each time a block reports back it issues the
//! chunks that have arrived meanwhile; when it has nothing pending and the import is not
//! finished, it keeps the transaction open with a cheap read until the next chunk comes (or
//! gives the import up after [`ABANDONED_AFTER_MS`] without one).
//!
//! The import holds the store alone ([`WriteGate`]): it numbers its records after the latest
//! number and makes them the latest only once committed, so reads meanwhile are answered as
//! of before the import (from memory without waiting; from IndexedDB after its commit).

use super::{keep_committed, Memory, StoreContacts};
use crate::contacts::change_tail::{ChangeTail, TAIL_CHANGES};
use crate::contacts::import_batch::{admit, BatchStep, OpenBatch};
use crate::contacts::record::{newest_sighting, ContactRecord};
use crate::contacts::Contact;
use crate::protocol::bridge::ImportBatch;
use crate::service::write_gate::WriteGate;
use crate::store::records::{finish, js_items};
use crate::store::{StoreError, CONTACTS_STORE, SYNC_STATE_STORE};
use rexie::{Rexie, TransactionMode};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::JsValue;

/// An import whose writer has waited this long for its next chunk (counted from the later of
/// the last chunk's arrival and the writer's last write) is given up: its page was closed.
/// Nothing of it is kept.
pub const ABANDONED_AFTER_MS: f64 = 15_000.0;

/// Puts waited on together: small enough that chunks arriving meanwhile are issued soon
/// after, large enough that the waiting costs little.
const PUTS_PER_BLOCK: usize = 500;

/// Up to this many records of an import are kept to update the in-memory index and the change
/// tail at its commit; after a larger one both start over from the database.
const KEPT_FOR_MEMORY: usize = 5_000;

/// A key no record has: the read that keeps the transaction open looks it up.
const NO_SUCH_KEY: &str = "";

/// One chunk's answer: its count once written (the last: the import's count once kept).
#[derive(Default)]
struct Answer {
    value: RefCell<Option<Result<usize, StoreError>>>,
    waker: RefCell<Option<Waker>>,
}

impl Answer {
    fn give(&self, value: Result<usize, StoreError>) {
        *self.value.borrow_mut() = Some(value);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    async fn wait(&self) -> Result<usize, StoreError> {
        poll_fn(|cx| match self.value.borrow_mut().take() {
            Some(value) => Poll::Ready(value),
            None => {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// A chunk waiting for the writer.
struct Part {
    contacts: Vec<Contact>,
    last: bool,
    answer: Rc<Answer>,
}

/// The import being written: where its rules stand, and the chunks the writer has not taken.
pub(super) struct ImportStream {
    open: RefCell<OpenBatch>,
    parts: RefCell<VecDeque<Part>>,
    /// When the latest chunk arrived (ms since the epoch).
    arrived_at: Cell<f64>,
    /// Why the import was given up, once it was (the writer aborts at its next turn).
    given_up: RefCell<Option<String>>,
}

impl ImportStream {
    fn new(open: OpenBatch) -> Self {
        Self {
            open: RefCell::new(open),
            parts: RefCell::new(VecDeque::new()),
            arrived_at: Cell::new(js_sys::Date::now()),
            given_up: RefCell::new(None),
        }
    }

    fn give_up(&self, reason: &str) {
        self.given_up
            .borrow_mut()
            .get_or_insert_with(|| reason.to_owned());
        for part in self.parts.borrow_mut().drain(..) {
            part.answer.give(Err(StoreError(reason.to_owned())));
        }
    }
}

impl StoreContacts {
    /// Hands a chunk of an import kept as a whole to its writer (starting the writer with the
    /// first) and waits for its answer.
    pub(super) async fn stream_part(
        &self,
        site: &str,
        contacts: Vec<Contact>,
        batch: &ImportBatch,
    ) -> Result<usize, StoreError> {
        let (stream, opens) = {
            let mut slot = self.stream.borrow_mut();
            let open = slot.as_ref().map(|stream| stream.open.borrow().clone());
            match admit(open.as_ref(), site, batch) {
                Ok(BatchStep::Open) => {
                    let stream = Rc::new(ImportStream::new(OpenBatch::opened_by(site, batch)));
                    *slot = Some(stream.clone());
                    (stream, true)
                }
                Ok(BatchStep::Continue) => (slot.clone().expect("admitted as open"), false),
                Err(refusal) => {
                    if refusal.ends_open {
                        if let Some(stream) = slot.take() {
                            stream.give_up(&refusal.message);
                        }
                    }
                    return Err(StoreError(refusal.message));
                }
            }
        };
        stream.open.borrow_mut().next_part += 1;
        stream.arrived_at.set(js_sys::Date::now());
        let answer = Rc::new(Answer::default());
        stream.parts.borrow_mut().push_back(Part {
            contacts,
            last: batch.last,
            answer: answer.clone(),
        });
        if opens {
            match self.database().await {
                Ok(db) => {
                    let writer = Writer {
                        db,
                        stream,
                        gate: self.gate.clone(),
                        slot: self.stream.clone(),
                        abandoned_after_ms: self.abandoned_after_ms,
                        latest: self.latest.clone(),
                        tail: self.tail.clone(),
                        memory: self.memory.clone(),
                    };
                    wasm_bindgen_futures::spawn_local(writer.run());
                }
                Err(err) => {
                    end_stream(&self.stream, &stream);
                    stream.give_up(&err.0);
                }
            }
        }
        answer.wait().await
    }
}

/// Takes `stream` out of `slot` if it is still the one there.
fn end_stream(slot: &RefCell<Option<Rc<ImportStream>>>, stream: &Rc<ImportStream>) {
    let mut slot = slot.borrow_mut();
    if slot.as_ref().is_some_and(|open| Rc::ptr_eq(open, stream)) {
        *slot = None;
    }
}

/// What an import written whole leaves for the bookkeeping once committed.
struct Committed {
    total: usize,
    last_seq: u64,
    /// Its records, unless there were too many to keep.
    records: Option<Vec<ContactRecord>>,
    /// The last chunk's answer.
    answer: Rc<Answer>,
}

/// A block of puts issued and not yet reported back, with the answer of the chunk it ends.
type Block<'a> = (
    Pin<Box<dyn Future<Output = rexie::Result<()>> + 'a>>,
    Option<(Rc<Answer>, usize)>,
);

/// The task that owns an import's transaction.
struct Writer {
    db: Rc<Rexie>,
    stream: Rc<ImportStream>,
    gate: Rc<WriteGate>,
    slot: Rc<RefCell<Option<Rc<ImportStream>>>>,
    abandoned_after_ms: f64,
    latest: Rc<Cell<u64>>,
    tail: Rc<RefCell<Option<ChangeTail>>>,
    memory: Rc<RefCell<Memory>>,
}

impl Writer {
    async fn run(self) {
        let hold = self.gate.alone().await;
        let mut waiting = Vec::new();
        let outcome = self.write(&mut waiting).await;
        end_stream(&self.slot, &self.stream);
        match outcome {
            Ok(committed) => {
                self.latest.set(self.latest.get().max(committed.last_seq));
                match committed.records {
                    Some(records) => keep_committed(&self.tail, &self.memory, records),
                    None => {
                        *self.tail.borrow_mut() =
                            Some(ChangeTail::after(self.latest.get(), TAIL_CHANGES));
                        let mut memory = self.memory.borrow_mut();
                        if memory.index_mut().is_some() {
                            *memory = Memory::Absent; // rebuilt, with the import, when next asked
                        }
                    }
                }
                committed.answer.give(Ok(committed.total));
            }
            Err(err) => {
                for answer in waiting {
                    answer.give(Err(err.clone()));
                }
                self.stream.give_up(&err.0);
            }
        }
        drop(hold);
    }

    /// Writes the chunks as they come, in one transaction, until the last has committed; on
    /// any failure the transaction is aborted, so nothing written before it is kept. `waiting`
    /// collects the answers of chunks taken, for a failure.
    async fn write(&self, waiting: &mut Vec<Rc<Answer>>) -> Result<Committed, StoreError> {
        let transaction = self.db.transaction(
            &[CONTACTS_STORE, SYNC_STATE_STORE],
            TransactionMode::ReadWrite,
        )?;
        match self.fill(&transaction, waiting).await {
            Ok(filled) => {
                finish(transaction.done().await?)?;
                Ok(filled)
            }
            Err(err) => {
                // A refused request has aborted it already (then this reports so, ignored).
                let _ = transaction.abort().await;
                Err(err)
            }
        }
    }

    /// Issues every chunk's puts into `transaction` until the last chunk is written.
    async fn fill(
        &self,
        transaction: &rexie::Transaction,
        waiting: &mut Vec<Rc<Answer>>,
    ) -> Result<Committed, StoreError> {
        let site = self.stream.open.borrow().site.clone();
        let store = transaction.store(CONTACTS_STORE)?;
        let mut seq = self.latest.get();
        let mut kept = Some(Vec::new());
        let (mut total, mut sighting, mut last) = (0, None::<f64>, None);
        let mut blocks: VecDeque<Block<'_>> = VecDeque::new();
        // Since when the writer has had nothing to write (the page owes the next chunk).
        let mut idle_since = js_sys::Date::now();
        loop {
            // The transaction takes requests here: just made, or a request just reported back.
            if let Some(reason) = self.stream.given_up.borrow().clone() {
                return Err(StoreError(reason));
            }
            while let Some(part) = self.stream.parts.borrow_mut().pop_front() {
                waiting.push(part.answer.clone());
                sighting = match (sighting, newest_sighting(&part.contacts)) {
                    (Some(before), Some(now)) => Some(before.max(now)),
                    (before, now) => before.or(now),
                };
                let count = part.contacts.len();
                let records: Vec<ContactRecord> = part
                    .contacts
                    .into_iter()
                    .map(|contact| {
                        seq += 1;
                        ContactRecord::live(&site, contact, seq)
                    })
                    .collect();
                let values = js_items(&records)?;
                total += count;
                kept = match kept {
                    Some(mut kept) if kept.len() + count <= KEPT_FOR_MEMORY => {
                        kept.extend(records);
                        Some(kept)
                    }
                    _ => None,
                };
                let mut values = values.into_iter().peekable();
                while values.peek().is_some() {
                    let block: Vec<_> = values.by_ref().take(PUTS_PER_BLOCK).collect();
                    let mut put: Pin<Box<dyn Future<Output = rexie::Result<()>>>> =
                        Box::pin(store.put_all(block.into_iter()));
                    // Polled once now: that issues the block's puts while the transaction
                    // takes them.
                    if let Poll::Ready(Err(err)) =
                        put.as_mut().poll(&mut Context::from_waker(Waker::noop()))
                    {
                        return Err(err.into());
                    }
                    blocks.push_back((put, None));
                }
                if part.last {
                    last = Some(part.answer);
                } else if let Some(block) = blocks.back_mut().filter(|_| count > 0) {
                    block.1 = Some((part.answer, count));
                } else {
                    part.answer.give(Ok(count));
                }
            }
            if let Some((put, answer)) = blocks.pop_front() {
                put.await?;
                if let Some((answer, count)) = answer {
                    answer.give(Ok(count));
                }
                idle_since = js_sys::Date::now();
                continue;
            }
            if last.is_some() {
                break;
            }
            let waited = js_sys::Date::now() - idle_since.max(self.stream.arrived_at.get());
            if waited > self.abandoned_after_ms {
                self.stream
                    .give_up("the import stopped arriving before its end; nothing of it was kept");
                continue;
            }
            // Nothing to write until the next chunk comes: a read keeps the transaction open.
            store.get(JsValue::from_str(NO_SUCH_KEY)).await?;
        }
        super::note_read(transaction, &site, sighting).await?;
        Ok(Committed {
            total,
            last_seq: seq,
            records: kept,
            answer: last.expect("the loop ends at the last chunk"),
        })
    }
}
