//! Moving serde records in and out of IndexedDB, shared by the contact store and the journal.

use super::StoreError;
use crate::service::data::ServiceError;
use rexie::{Store, TransactionResult};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

pub(crate) fn service_error(err: StoreError) -> ServiceError {
    ServiceError(err.0)
}

/// A committed transaction, or why not.
pub(crate) fn finish(result: TransactionResult) -> Result<(), StoreError> {
    match result {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => Err(StoreError::from_browser(
            "AbortError: the browser aborted the change (often because the disk is full)",
        )),
    }
}

/// Values as JavaScript objects, through one `JSON.parse` (far fewer boundary crossings than
/// building each object field by field).
pub(crate) fn js_items<T: Serialize>(
    items: &[T],
) -> Result<Vec<(JsValue, Option<JsValue>)>, StoreError> {
    let text = serde_json::to_string(items).map_err(|e| StoreError(e.to_string()))?;
    let array =
        js_sys::JSON::parse(&text).map_err(|e| StoreError::from_browser(&format!("{e:?}")))?;
    Ok(js_sys::Array::from(&array)
        .iter()
        .map(|value| (value, None))
        .collect())
}

/// One value as a JavaScript object (see [`js_items`]).
pub(crate) fn js_value<T: Serialize>(value: &T) -> Result<JsValue, StoreError> {
    let mut items = js_items(std::slice::from_ref(value))?;
    Ok(items.remove(0).0)
}

pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, StoreError> {
    let text =
        js_sys::JSON::stringify(&value).map_err(|e| StoreError::from_browser(&format!("{e:?}")))?;
    serde_json::from_str(&String::from(text))
        .map_err(|e| StoreError(format!("a stored record cannot be read: {e}")))
}

/// Many values through one `JSON.stringify`.
pub(crate) fn from_js_list<T: DeserializeOwned>(
    values: Vec<JsValue>,
) -> Result<Vec<T>, StoreError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let array: js_sys::Array = values.into_iter().collect();
    from_js(array.into())
}

/// The records stored under `keys` (in order; `None` where there is none), all requested
/// before the first is awaited.
pub(crate) async fn get_many(
    store: &Store,
    keys: &[String],
) -> Result<Vec<Option<JsValue>>, StoreError> {
    let gets = keys.iter().map(|key| store.get(JsValue::from_str(key)));
    join_all(gets.collect())
        .await
        .into_iter()
        .map(|value| value.map_err(StoreError::from))
        .collect()
}

/// Polls every future until all are done, so all their requests are issued at once (rexie's
/// futures issue their request when first polled).
pub(crate) async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Both futures, polled together (so both start at once), and both outputs.
pub(crate) async fn join_pair<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    use std::task::Poll;
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                out_a = a;
                out_b = b;
                Poll::Pending
            }
        }
    })
    .await
}
