//! `async fn` forms of the store's operations (feature `async`), on the library's
//! asynchronous API: each starts one operation and resolves when the library's completion
//! callback wakes it. They need no particular runtime (no thread per call, no timer): any
//! executor drives them. Dropping such a future before it resolves cancels the operation
//! (kvps.h, "Cancellation"): a cancelled write leaves the old value whole. So a timeout from
//! the runtime (e.g. `tokio::time::timeout`) cancels the operation too.
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     // A minimal executor, to show the futures need no runtime of their own.
//! #     use std::sync::{Arc, Condvar, Mutex};
//! #     use std::task::{Context, Poll, Wake, Waker};
//! #     struct Flag(Mutex<bool>, Condvar);
//! #     impl Wake for Flag {
//! #         fn wake(self: Arc<Self>) {
//! #             *self.0.lock().unwrap() = true;
//! #             self.1.notify_one();
//! #         }
//! #     }
//! #     let flag = Arc::new(Flag(Mutex::new(false), Condvar::new()));
//! #     let waker = Waker::from(flag.clone());
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) {
//! #             return v;
//! #         }
//! #         let mut woken = flag.0.lock().unwrap();
//! #         while !*woken {
//! #             woken = flag.1.wait(woken).unwrap();
//! #         }
//! #         *woken = false;
//! #     }
//! # }
//! let store = kvps::Store::open("memory://")?;
//! block_on(async {
//!     store.put_async("greeting", "hello").await?;
//!     assert_eq!(store.get_async("greeting").await?.as_deref(), Some(&b"hello"[..]));
//!     Ok::<(), kvps::Error>(())
//! })?;
//! # Ok::<(), kvps::Error>(())
//! ```

use std::ffi::CStr;
use std::ops::RangeBounds;

use kvps_sys as sys;

use crate::error::{Error, Result};
use crate::list::{self, Page};
use crate::raw::{BatchOutcome, OpFuture};
use crate::store::{batch_keys, batch_results, c_key, offset_length, Metadata, PutOptions, Store};

/// A batch op started over its keys (`None` for no keys), or the error that kept it from
/// starting, with the number of keys.
type StartedBatch<T> = (usize, Result<Option<OpFuture<T>>>);

/// Starts a batch op over `keys` with `start`. Nothing borrowed from the caller outlives
/// this call (the library copies keys and values), so the future holds no reference to them.
fn start_batch<K: AsRef<str>, T>(
    keys: &[K],
    start: impl FnOnce(&[&CStr]) -> Result<OpFuture<T>>,
) -> StartedBatch<T> {
    let started = batch_keys(keys).and_then(|c_keys| {
        if c_keys.is_empty() {
            return Ok(None);
        }
        start(&c_keys.c_strs()).map(Some)
    });
    (keys.len(), started)
}

/// Awaits a started batch and reads its results; a batch that did not start gives every item
/// the error that stopped it.
async fn finish_batch<T, U>(
    (n, started): StartedBatch<T>,
    results: impl FnOnce(T) -> Vec<Result<U>>,
) -> Vec<Result<U>> {
    let failed = |e: Error| (0..n).map(|_| Err(e.clone())).collect();
    match started {
        Ok(None) => Vec::new(),
        Ok(Some(op)) => match op.await {
            Ok(outcome) => results(outcome),
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// One `()` result per item of a put or delete batch.
fn unit_results(outcome: BatchOutcome) -> Vec<Result<()>> {
    let n = outcome.statuses.len();
    batch_results(outcome, vec![(); n], false)
}

impl Store {
    /// [`Store::get`], asynchronously.
    pub async fn get_async(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = c_key(key)?;
        self.handle().get_async(&key, 0, sys::KVPS_TO_END)?.await
    }

    /// [`Store::get_range`], asynchronously.
    pub async fn get_range_async(
        &self,
        key: &str,
        range: impl RangeBounds<u64>,
    ) -> Result<Option<Vec<u8>>> {
        let key = c_key(key)?;
        let (offset, length) = offset_length(range)?;
        self.handle().get_async(&key, offset, length)?.await
    }

    /// [`Store::put`], asynchronously. The value is copied when the operation starts.
    pub async fn put_async(&self, key: &str, value: impl AsRef<[u8]>) -> Result<()> {
        let key = c_key(key)?;
        self.handle().put_async(&key, value.as_ref())?.await
    }

    /// [`Store::put_with`], asynchronously: returns the etag of the value written.
    pub async fn put_with_async(
        &self,
        key: &str,
        value: impl AsRef<[u8]>,
        options: &PutOptions,
    ) -> Result<String> {
        let key = c_key(key)?;
        let raw = options.raw()?;
        let op = self.handle().put_with_async(&key, value.as_ref(), &raw)?;
        op.await
    }

    /// [`Store::stat`], asynchronously.
    pub async fn stat_async(&self, key: &str) -> Result<Option<Metadata>> {
        let key = c_key(key)?;
        Ok(self.handle().stat_async(&key)?.await?.map(Metadata::from))
    }

    /// [`Store::delete`], asynchronously.
    pub async fn delete_async(&self, key: &str) -> Result<()> {
        let key = c_key(key)?;
        self.handle().delete_async(&key)?.await
    }

    /// [`Store::copy`], asynchronously: returns `to`'s new etag.
    pub async fn copy_async(&self, from: &str, to: &str, options: &PutOptions) -> Result<String> {
        let (from, to, raw) = (c_key(from)?, c_key(to)?, options.raw()?);
        let op = self.handle().copy_async(&from, &to, &raw, false)?;
        op.await
    }

    /// [`Store::rename`], asynchronously: returns `to`'s etag.
    pub async fn rename_async(&self, from: &str, to: &str, options: &PutOptions) -> Result<String> {
        let (from, to, raw) = (c_key(from)?, c_key(to)?, options.raw()?);
        let op = self.handle().copy_async(&from, &to, &raw, true)?;
        op.await
    }

    /// [`Store::put_many`], asynchronously: one result per item, in order, each failed item
    /// with the library's own status and message for it, as the blocking call gives them. The
    /// values are copied when the operation starts.
    ///
    /// Dropping the future before it resolves cancels the batch: items not written yet stop
    /// and keep their old values; items already written stay written (each item is
    /// all-or-nothing, never torn). A batch that runs to its end after a cancellation reports
    /// the items it stopped with [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled).
    pub async fn put_many_async<I, K, V>(&self, items: I) -> Vec<Result<()>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let started = {
            let (keys, values): (Vec<K>, Vec<V>) = items.into_iter().unzip();
            let data: Vec<&[u8]> = values.iter().map(AsRef::as_ref).collect();
            start_batch(&keys, |c_keys| self.handle().put_many_async(c_keys, &data))
        };
        finish_batch(started, unit_results).await
    }

    /// [`Store::get_many`], asynchronously: one result per key, in order, `Ok(None)` for a
    /// missing key. Dropping the future cancels the reads still in flight.
    pub async fn get_many_async<I, K>(&self, keys: I) -> Vec<Result<Option<Vec<u8>>>>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        let started = {
            let keys: Vec<K> = keys.into_iter().collect();
            start_batch(&keys, |c_keys| self.handle().get_many_async(c_keys))
        };
        finish_batch(started, |(outcome, values)| {
            batch_results(outcome, values, true)
        })
        .await
    }

    /// [`Store::delete_many`], asynchronously: one result per key, in order; missing keys
    /// succeed. Dropping the future cancels the batch as for
    /// [`put_many_async`](Store::put_many_async): each key is then removed or left whole.
    pub async fn delete_many_async<I, K>(&self, keys: I) -> Vec<Result<()>>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        let started = {
            let keys: Vec<K> = keys.into_iter().collect();
            start_batch(&keys, |c_keys| self.handle().delete_many_async(c_keys))
        };
        finish_batch(started, unit_results).await
    }

    /// [`Store::list_page`], asynchronously.
    pub async fn list_page_async(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        page_size: usize,
    ) -> Result<Page> {
        list::page_async(self.handle(), prefix, cursor, page_size).await
    }
}
