//! Who may write the contact store now. Ordinary writes share it (several at once, each its
//! own transaction, numbered in the order they are made); an import kept as a whole holds it
//! alone from its first chunk to its commit, because it numbers its records as its chunks
//! arrive and no other write may take numbers in between (a reader that saw the other write
//! commit first would move its cursor past the import's records and never see them).
//!
//! An import that asks waits for the writes under way, and writes that ask after it wait for
//! the import: neither side can keep the other out for ever.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// The contact store's writers: many sharing, or one alone.
#[derive(Default)]
pub struct WriteGate {
    state: RefCell<GateState>,
}

#[derive(Default)]
struct GateState {
    /// Ordinary writes holding the store.
    shared: u32,
    /// Whether an import holds it alone.
    alone: bool,
    /// Imports waiting to hold it alone (ordinary writes let them go first).
    waiting_alone: u32,
    /// Whoever waits, woken at every release.
    wakers: Vec<Waker>,
}

/// An ordinary write's hold on the store, released on drop.
pub struct SharedHold(Rc<WriteGate>);

/// An import's sole hold on the store, released on drop.
pub struct SoleHold(Rc<WriteGate>);

impl WriteGate {
    /// Waits until no import holds the store or waits for it, then holds it with the other
    /// ordinary writes.
    pub async fn shared(self: &Rc<Self>) -> SharedHold {
        poll_fn(|cx| {
            let mut state = self.state.borrow_mut();
            if state.alone || state.waiting_alone > 0 {
                state.wakers.push(cx.waker().clone());
                return Poll::Pending;
            }
            state.shared += 1;
            Poll::Ready(())
        })
        .await;
        SharedHold(self.clone())
    }

    /// Waits until nobody holds the store (letting ordinary writes that come meanwhile wait
    /// behind), then holds it alone.
    pub async fn alone(self: &Rc<Self>) -> SoleHold {
        let waiting = Waiting::new(self);
        poll_fn(|cx| {
            let mut state = self.state.borrow_mut();
            if state.alone || state.shared > 0 {
                state.wakers.push(cx.waker().clone());
                return Poll::Pending;
            }
            state.alone = true;
            Poll::Ready(())
        })
        .await;
        drop(waiting);
        SoleHold(self.clone())
    }

    /// Whether an import holds the store alone.
    #[cfg(test)]
    fn held_alone(&self) -> bool {
        self.state.borrow().alone
    }

    fn release(&self, change: impl FnOnce(&mut GateState)) {
        let wakers = {
            let mut state = self.state.borrow_mut();
            change(&mut state);
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Counts an import as waiting for as long as it waits (a dropped wait stops counting).
struct Waiting(Rc<WriteGate>);

impl Waiting {
    fn new(gate: &Rc<WriteGate>) -> Self {
        gate.state.borrow_mut().waiting_alone += 1;
        Self(gate.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.release(|state| state.waiting_alone -= 1);
    }
}

impl Drop for SharedHold {
    fn drop(&mut self) {
        self.0.release(|state| state.shared -= 1);
    }
}

impl Drop for SoleHold {
    fn drop(&mut self) {
        self.0.release(|state| state.alone = false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Context;

    type Held<T> = Pin<Box<dyn Future<Output = T>>>;

    fn poll<T>(future: &mut Held<T>) -> Option<T> {
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => Some(value),
            Poll::Pending => None,
        }
    }

    fn shared(gate: &Rc<WriteGate>) -> Held<SharedHold> {
        let gate = gate.clone();
        Box::pin(async move { gate.shared().await })
    }

    fn alone(gate: &Rc<WriteGate>) -> Held<SoleHold> {
        let gate = gate.clone();
        Box::pin(async move { gate.alone().await })
    }

    #[test]
    fn ordinary_writes_share_the_store() {
        let gate = Rc::new(WriteGate::default());
        let first = poll(&mut shared(&gate));
        let second = poll(&mut shared(&gate));
        assert!(first.is_some() && second.is_some());
        assert!(!gate.held_alone());
    }

    #[test]
    fn an_import_waits_for_the_writes_under_way_and_later_writes_wait_for_it() {
        let gate = Rc::new(WriteGate::default());
        let under_way = poll(&mut shared(&gate)).unwrap();
        let mut import = alone(&gate);
        assert!(poll(&mut import).is_none(), "a write is under way");
        let mut later = shared(&gate);
        assert!(poll(&mut later).is_none(), "the import asked first");
        drop(under_way);
        let import_hold = poll(&mut import).expect("the store is free");
        assert!(gate.held_alone());
        assert!(poll(&mut later).is_none(), "the import holds the store");
        drop(import_hold);
        assert!(poll(&mut later).is_some());
    }

    #[test]
    fn two_imports_take_turns() {
        let gate = Rc::new(WriteGate::default());
        let first = poll(&mut alone(&gate)).unwrap();
        let mut second = alone(&gate);
        assert!(poll(&mut second).is_none());
        drop(first);
        assert!(poll(&mut second).is_some());
    }

    #[test]
    fn an_import_that_stops_waiting_lets_ordinary_writes_go() {
        let gate = Rc::new(WriteGate::default());
        let under_way = poll(&mut shared(&gate)).unwrap();
        let mut import = alone(&gate);
        assert!(poll(&mut import).is_none());
        drop(import);
        assert!(poll(&mut shared(&gate)).is_some());
        drop(under_way);
    }
}
