//! A database connection opened on first use, once, however many requests ask for it at the
//! same time (a worker woken by several messages must not open several connections), and
//! opened again after the browser closed it (a full or failing disk closes every connection:
//! "The database connection is closing" until the worker stops, unless it reopens).

use super::StoreError;
use rexie::Rexie;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// The connection of one store, opened lazily.
#[derive(Default)]
pub(crate) struct LazyDatabase {
    db: RefCell<Option<Rc<Rexie>>>,
    opening: Cell<bool>,
    /// [`super::times_closed`] when `db` was opened.
    opened_after: Cell<u32>,
}

impl LazyDatabase {
    /// The open connection; the first caller opens it with `open`, callers meanwhile wait for
    /// that one open (a failed open is tried again by the next caller).
    pub(crate) async fn get<F, Fut>(&self, open: F) -> Result<Rc<Rexie>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Rexie, StoreError>>,
    {
        let mut open = Some(open);
        if self.opened_after.get() != super::times_closed() && !self.opening.get() {
            self.close(); // closed by the browser since: a new connection
        }
        loop {
            if let Some(db) = self.db.borrow().as_ref() {
                return Ok(db.clone());
            }
            if !self.opening.replace(true) {
                self.opened_after.set(super::times_closed());
                let Some(open) = open.take() else {
                    unreachable!("only the caller that opens takes `open`")
                };
                let opened = open().await;
                self.opening.set(false);
                let db = Rc::new(opened?);
                *self.db.borrow_mut() = Some(db.clone());
                return Ok(db);
            }
            gloo_timers::future::TimeoutFuture::new(2).await;
        }
    }

    /// Closes the connection (tests; an upgrade elsewhere; the browser closed it), once no
    /// request holds it; the next request opens a new one either way.
    pub(crate) fn close(&self) {
        let taken = self.db.borrow_mut().take();
        if let Some(db) = taken {
            if let Ok(db) = Rc::try_unwrap(db) {
                db.close();
            }
        }
    }
}
