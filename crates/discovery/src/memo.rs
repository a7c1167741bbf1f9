//! Bounded answer tables. A page repeats its labels and countries down every column, and a page
//! is read again after every change (single-page apps): answers worth remembering are kept per
//! module instance, up to a limit, then forgotten wholesale (no eviction bookkeeping).

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::thread::LocalKey;

/// One table of remembered answers (a `thread_local!`: the Wasm module has one thread).
pub type Table<K, V> = RefCell<HashMap<K, V>>;

/// The answer remembered in `table` for `key`, or `compute`'s, remembered.
pub fn remember<K, Q, V>(
    table: &'static LocalKey<Table<K, V>>,
    limit: usize,
    key: &Q,
    compute: impl FnOnce() -> V,
) -> V
where
    K: Borrow<Q> + Eq + Hash,
    Q: ToOwned<Owned = K> + Eq + Hash + ?Sized,
    V: Clone,
{
    if let Some(known) = table.with(|t| t.borrow().get(key).cloned()) {
        return known;
    }
    let answer = compute();
    table.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() >= limit {
            t.clear();
        }
        t.insert(key.to_owned(), answer.clone());
    });
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static SQUARES: Table<u32, u32> = RefCell::new(HashMap::new());
    }

    #[test]
    fn answers_are_remembered_until_the_table_is_full() {
        let calls = std::cell::Cell::new(0);
        let square = |n: u32| {
            remember(&SQUARES, 2, &n, || {
                calls.set(calls.get() + 1);
                n * n
            })
        };
        assert_eq!((square(3), square(3)), (9, 9));
        assert_eq!(calls.get(), 1, "the second answer was remembered");
        square(4);
        square(5); // the table was full: forgotten, then 5 remembered
        square(3);
        assert_eq!(calls.get(), 4);
    }
}
