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

use std::ops::RangeBounds;

use kvps_sys as sys;

use crate::error::Result;
use crate::list::{self, Page};
use crate::store::{c_key, offset_length, Metadata, PutOptions, Store};

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
