//! Asynchronous operations (feature `async`): a [`Future`] over one `kvps_op`, woken from the
//! op's completion callback, so it runs on any executor and needs no thread of its own.
//!
//! Audit notes, beyond the parent module's:
//! - Each op gets one `Arc<Signal>` leaked into its `user` pointer; the library calls the
//!   callback exactly once per op (also for an op cancelled or freed while pending), and the
//!   callback takes that reference back. Nothing else reads `user`.
//! - The asynchronous calls copy their inputs (keys, data, options) before they return, so no
//!   Rust memory is borrowed past the call. `etag_out` must be NULL for them: the etag a
//!   write made is read from the op.
//! - An op keeps its store alive (kvps.h, "Lifetimes"), so a future need not borrow it.
//! - Dropping the future frees the op, which cancels it when it is still pending.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::*;

/// Completion state shared by a future and its op's callback.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>, // (completed, the waker of the last poll)
}

extern "C" fn completed(user: *mut c_void, _op: *mut sys::kvps_op) {
    // SAFETY: user is the reference `start` leaked for this op, taken back exactly once here.
    let signal = unsafe { Arc::from_raw(user.cast_const().cast::<Signal>()) };
    let waker = {
        let mut state = signal.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = true;
        state.1.take()
    };
    if let Some(waker) = waker {
        // A waker that panics must not unwind into C.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
    }
}

/// How a future reads its completed op (on the polling thread).
type Take<T> = Box<dyn FnMut(*mut sys::kvps_op) -> Result<T> + Send>;

/// A pending asynchronous operation; resolves to `take`'s reading of the completed op.
pub(crate) struct OpFuture<T> {
    op: NonNull<sys::kvps_op>,
    signal: Arc<Signal>,
    take: Take<T>,
}

// SAFETY: the header states op handles are safe to use from several threads.
unsafe impl<T> Send for OpFuture<T> {}
// SAFETY: as above; &OpFuture gives no access to the op.
unsafe impl<T> Sync for OpFuture<T> {}

impl<T> Future for OpFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        {
            let mut state = self.signal.state.lock().unwrap_or_else(|e| e.into_inner());
            if !state.0 {
                if !state.1.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    state.1 = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
        }
        let op = self.op.as_ptr();
        Poll::Ready((self.take)(op))
    }
}

impl<T> Drop for OpFuture<T> {
    fn drop(&mut self) {
        // SAFETY: owned, freed once; a pending op is cancelled and its callback still runs.
        unsafe { sys::kvps_op_free(self.op.as_ptr()) }
    }
}

/// Starts an op with `begin` (one kvps_*_async call given the options and the out-pointer).
fn start<T>(
    take: impl FnMut(*mut sys::kvps_op) -> Result<T> + Send + 'static,
    begin: impl FnOnce(&sys::kvps_async_options, &mut *mut sys::kvps_op) -> sys::kvps_status,
) -> Result<OpFuture<T>> {
    let signal = Arc::new(Signal::default());
    let user = Arc::into_raw(Arc::clone(&signal))
        .cast_mut()
        .cast::<c_void>();
    let mut options = sys::kvps_async_options::INIT;
    options.callback = Some(completed);
    options.user = user;
    let mut op = ptr::null_mut();
    let status = begin(&options, &mut op);
    let error = (status != sys::KVPS_OK).then(|| failure(status));
    match (error, NonNull::new(op)) {
        (None, Some(op)) => Ok(OpFuture {
            op,
            signal,
            take: Box::new(take),
        }),
        (error, _) => {
            // SAFETY: no op was made, so no callback will take the leaked reference back.
            drop(unsafe { Arc::from_raw(user.cast_const().cast::<Signal>()) });
            Err(error.unwrap_or_else(|| Error::new(ErrorKind::Internal, "no op was made")))
        }
    }
}

// ---- readings of a completed op (each on the polling thread, which reads its last error)

fn take_status(op: *mut sys::kvps_op) -> Result<()> {
    // SAFETY: a live, completed op.
    check(unsafe { sys::kvps_op_status(op) })
}

fn take_value(op: *mut sys::kvps_op) -> Result<Option<Vec<u8>>> {
    let mut data = ptr::null_mut();
    let mut size = 0;
    // SAFETY: a live, completed op; data and size are written only on KVPS_OK.
    match unsafe { sys::kvps_op_value(op, &mut data, &mut size) } {
        sys::KVPS_OK => Ok(Some(take_buffer(data, size))),
        sys::KVPS_NOT_FOUND => Ok(None),
        status => Err(failure(status)),
    }
}

fn take_stat(op: *mut sys::kvps_op) -> Result<Option<RawStat>> {
    let mut info = sys::kvps_stat_info::INIT;
    // SAFETY: a live, completed op; info is initialized as KVPS_STAT_INIT does.
    match unsafe { sys::kvps_op_stat(op, &mut info) } {
        sys::KVPS_OK => Ok(Some(raw_stat(&info))),
        sys::KVPS_NOT_FOUND => Ok(None),
        status => Err(failure(status)),
    }
}

fn take_page(op: *mut sys::kvps_op) -> Result<(Vec<RawEntry>, Option<CString>)> {
    let mut page = ptr::null_mut();
    // SAFETY: a live, completed op; page is written only on KVPS_OK and then ours.
    check(unsafe { sys::kvps_op_page(op, &mut page) })?;
    if page.is_null() {
        return Err(Error::new(ErrorKind::Internal, "kvps_op_page gave no page"));
    }
    read_page(PageGuard(page))
}

fn take_etag(op: *mut sys::kvps_op) -> Result<String> {
    let mut etag = [0 as c_char; sys::KVPS_ETAG_MAX];
    // SAFETY: a live, completed op; etag has KVPS_ETAG_MAX writable bytes.
    check(unsafe { sys::kvps_op_etag(op, etag.as_mut_ptr()) })?;
    Ok(array_text(&etag))
}

/// The outcome of a completed batch op of `n` items, as `batch_outcome` reads a blocking
/// call's: each item's status and the library's own message for it. An item that failed
/// without a message of its own (the op was cancelled before it started) gets the op's.
fn take_batch(op: *mut sys::kvps_op, n: usize) -> BatchOutcome {
    let mut statuses = vec![UNTOUCHED; n];
    // SAFETY: a live, completed op; statuses has n elements, n as given to the call.
    let status = unsafe { sys::kvps_op_statuses(op, statuses.as_mut_ptr()) };
    let failure = (status != sys::KVPS_OK).then(|| failure(status));
    let messages = (0..n)
        .map(|i| {
            // SAFETY: never NULL, owned by the op (alive here); copied at once.
            let message = text(unsafe { sys::kvps_op_item_error(op, i) });
            match &failure {
                Some(f) if message.is_empty() && statuses[i] != sys::KVPS_OK => {
                    f.message().to_owned()
                }
                _ => message,
            }
        })
        .collect();
    let statuses = statuses
        .into_iter()
        .map(|s| (s != UNTOUCHED).then_some(s))
        .collect();
    BatchOutcome {
        statuses,
        failure,
        messages,
    }
}

/// A get_many's outcome, and each item's value where it was read.
pub(crate) type BatchValues = (BatchOutcome, Vec<Option<Vec<u8>>>);

/// A completed get_many op of `n` items: its outcome and each item's value where it was read.
fn take_batch_values(op: *mut sys::kvps_op, n: usize) -> BatchValues {
    let outcome = take_batch(op, n);
    let values = (0..n)
        .map(|i| {
            if outcome.statuses[i] != Some(sys::KVPS_OK) {
                return None;
            }
            let (mut data, mut size) = (ptr::null_mut(), 0);
            // SAFETY: a live, completed op, i < n; data and size are written only on KVPS_OK,
            // and the buffer is then ours.
            let status = unsafe { sys::kvps_op_item_value(op, i, &mut data, &mut size) };
            (status == sys::KVPS_OK).then(|| take_buffer(data, size))
        })
        .collect();
    (outcome, values)
}

/// The C put options for an asynchronous call: the same, without `etag_out`.
fn async_put_options(options: &RawPutOptions) -> sys::kvps_put_options {
    let mut c = options.c;
    c.etag_out = ptr::null_mut();
    c
}

impl StoreHandle {
    pub(crate) fn get_async(
        &self,
        key: &CStr,
        offset: u64,
        length: u64,
    ) -> Result<OpFuture<Option<Vec<u8>>>> {
        // SAFETY: key is NUL-terminated and copied by the call; options and op are valid.
        start(take_value, |options, op| unsafe {
            if offset == 0 && length == sys::KVPS_TO_END {
                sys::kvps_get_async(self.ptr(), key.as_ptr(), options, op)
            } else {
                sys::kvps_get_range_async(self.ptr(), key.as_ptr(), offset, length, options, op)
            }
        })
    }

    pub(crate) fn put_async(&self, key: &CStr, data: &[u8]) -> Result<OpFuture<()>> {
        // SAFETY: key is NUL-terminated, data readable; both copied by the call.
        start(take_status, |options, op| unsafe {
            sys::kvps_put_async(
                self.ptr(),
                key.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                options,
                op,
            )
        })
    }

    pub(crate) fn put_with_async(
        &self,
        key: &CStr,
        data: &[u8],
        put_options: &RawPutOptions,
    ) -> Result<OpFuture<String>> {
        let c = async_put_options(put_options);
        // SAFETY: key, data and the options' strings are valid for the call, which copies them.
        start(take_etag, |options, op| unsafe {
            sys::kvps_put_with_async(
                self.ptr(),
                key.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                &c,
                options,
                op,
            )
        })
    }

    pub(crate) fn stat_async(&self, key: &CStr) -> Result<OpFuture<Option<RawStat>>> {
        // SAFETY: key is NUL-terminated and copied by the call.
        start(take_stat, |options, op| unsafe {
            sys::kvps_stat_async(self.ptr(), key.as_ptr(), options, op)
        })
    }

    pub(crate) fn delete_async(&self, key: &CStr) -> Result<OpFuture<()>> {
        // SAFETY: key is NUL-terminated and copied by the call.
        start(take_status, |options, op| unsafe {
            sys::kvps_delete_async(self.ptr(), key.as_ptr(), options, op)
        })
    }

    /// kvps_copy_async, or kvps_rename_async when `rename`.
    pub(crate) fn copy_async(
        &self,
        from: &CStr,
        to: &CStr,
        put_options: &RawPutOptions,
        rename: bool,
    ) -> Result<OpFuture<String>> {
        let c = async_put_options(put_options);
        // SAFETY: both keys and the options' strings are valid for the call, which copies them.
        start(take_etag, |options, op| unsafe {
            if rename {
                sys::kvps_rename_async(self.ptr(), from.as_ptr(), to.as_ptr(), &c, options, op)
            } else {
                sys::kvps_copy_async(self.ptr(), from.as_ptr(), to.as_ptr(), &c, options, op)
            }
        })
    }

    pub(crate) fn put_many_async(
        &self,
        keys: &[&CStr],
        values: &[&[u8]],
    ) -> Result<OpFuture<BatchOutcome>> {
        assert_eq!(keys.len(), values.len());
        let n = keys.len();
        let key_ptrs = key_pointers(keys);
        let data: Vec<*const c_void> = values.iter().map(|v| v.as_ptr().cast()).collect();
        let sizes: Vec<usize> = values.iter().map(|v| v.len()).collect();
        // SAFETY: every array has n elements; the keys and values are valid for the call,
        // which copies them.
        start(
            move |op| Ok(take_batch(op, n)),
            |options, op| unsafe {
                sys::kvps_put_many_async(
                    self.ptr(),
                    n,
                    key_ptrs.as_ptr(),
                    data.as_ptr(),
                    sizes.as_ptr(),
                    options,
                    op,
                )
            },
        )
    }

    pub(crate) fn get_many_async(&self, keys: &[&CStr]) -> Result<OpFuture<BatchValues>> {
        let n = keys.len();
        let key_ptrs = key_pointers(keys);
        // SAFETY: the key array has n elements, valid for the call, which copies them.
        start(
            move |op| Ok(take_batch_values(op, n)),
            |options, op| unsafe {
                sys::kvps_get_many_async(self.ptr(), n, key_ptrs.as_ptr(), options, op)
            },
        )
    }

    pub(crate) fn delete_many_async(&self, keys: &[&CStr]) -> Result<OpFuture<BatchOutcome>> {
        let n = keys.len();
        let key_ptrs = key_pointers(keys);
        // SAFETY: the key array has n elements, valid for the call, which copies them.
        start(
            move |op| Ok(take_batch(op, n)),
            |options, op| unsafe {
                sys::kvps_delete_many_async(self.ptr(), n, key_ptrs.as_ptr(), options, op)
            },
        )
    }

    pub(crate) fn list_page_async(
        &self,
        prefix: &CStr,
        cursor: Option<&CStr>,
        page_size: usize,
    ) -> Result<OpFuture<(Vec<RawEntry>, Option<CString>)>> {
        let mut list = sys::kvps_list_options::INIT;
        list.prefix = prefix.as_ptr();
        list.cursor = nullable(cursor);
        list.page_size = page_size;
        // SAFETY: the list options' strings are valid for the call, which copies them.
        start(take_page, |options, op| unsafe {
            sys::kvps_list_async(self.ptr(), &list, options, op)
        })
    }
}
