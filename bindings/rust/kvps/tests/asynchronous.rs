//! The `async fn` forms (feature `async`), driven by tokio, on memory://, file://, s3://
//! (`KVPS_TEST_S3_URL`), gs:// and az:// (`KVPS_TEST_GCS_URL`, `KVPS_TEST_AZ_URL`): results as
//! the blocking calls give them (batches: per item, with the library's messages), errors, and
//! cancellation by dropping the future (a timeout from the runtime, or a future polled once and
//! dropped) leaving each value whole.
#![cfg(feature = "async")]

mod common;

use std::time::{Duration, Instant};

use common::TestStore;
use kvps::{ErrorKind, PutOptions};

async fn values(store: &TestStore) {
    store.put_async("a/1", "one").await.unwrap();
    assert_eq!(store.get_async("a/1").await.unwrap().unwrap(), b"one");
    assert_eq!(store.get_async("a/missing").await.unwrap(), None);
    assert_eq!(
        store.get_range_async("a/1", 1..).await.unwrap().unwrap(),
        b"ne"
    );
    let meta = store.stat_async("a/1").await.unwrap().unwrap();
    assert_eq!(meta.size(), 3);
    assert!(store.stat_async("a/missing").await.unwrap().is_none());

    let etag = store
        .put_with_async("a/2", "two", &PutOptions::new().content_type("text/plain"))
        .await
        .unwrap();
    let meta = store.stat_async("a/2").await.unwrap().unwrap();
    assert_eq!(meta.etag(), etag);
    assert_eq!(meta.content_type(), "text/plain");
    let failed = store
        .put_with_async("a/2", "again", &PutOptions::new().create_only())
        .await
        .unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::PreconditionFailed);
    assert!(failed.message().contains("a/2"), "{failed}");

    let copied = store
        .copy_async("a/1", "b/1", &PutOptions::new())
        .await
        .unwrap();
    assert_eq!(store.stat("b/1").unwrap().unwrap().etag(), copied);
    store
        .rename_async("b/1", "b/2", &PutOptions::new())
        .await
        .unwrap();
    assert_eq!(store.get("b/1").unwrap(), None);
    assert_eq!(store.get("b/2").unwrap().unwrap(), b"one");

    let page = store.list_page_async("a/", None, 1).await.unwrap();
    assert_eq!(page.entries()[0].key(), "a/1");
    let next = store.list_page_async("a/", page.cursor(), 0).await.unwrap();
    assert_eq!(next.entries()[0].key(), "a/2");
    assert_eq!(next.cursor(), None);

    store.delete_async("a/1").await.unwrap();
    assert_eq!(store.get("a/1").unwrap(), None);
    store.delete_async("a/1").await.unwrap(); // a missing key: fine

    let bad = store.put_async("", "x").await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidKey);
    let bad = store
        .list_page_async("", Some("garbage"), 0)
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
}

/// Many operations at once from one task, and from many tasks.
async fn concurrency(store: &TestStore) {
    let keys: Vec<String> = (0..64).map(|i| format!("c/{i:02}")).collect();
    let puts = keys.iter().map(|k| store.put_async(k, k.as_bytes()));
    for result in futures_join(puts).await {
        result.unwrap();
    }
    let gets = keys.iter().map(|k| store.get_async(k));
    for (key, value) in keys.iter().zip(futures_join(gets).await) {
        assert_eq!(value.unwrap().unwrap(), key.as_bytes());
    }
}

/// Polls every future until all are done, all in flight together (no helper crate).
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (f, slot) in pending.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

/// A put whose future is dropped (a runtime timeout) leaves the old value, or the new one
/// whole when it finished first; never a mix.
async fn dropped_put(store: &TestStore) {
    store.put("d/k", "old").unwrap();
    let big = common::pattern(if store.url.starts_with("s3") {
        24 << 20
    } else {
        4 << 20
    });
    let mut cancelled = 0;
    for delay_ms in [0, 1, 5, 20] {
        let timed = tokio::time::timeout(
            Duration::from_millis(delay_ms),
            store.put_async("d/k", &big),
        )
        .await;
        // The op is cancelled (or finished) once the future is dropped; read what is there.
        let now = store.get("d/k").unwrap().unwrap();
        match timed {
            Ok(result) => {
                result.unwrap();
                assert!(now == big, "a finished put is not there whole");
            }
            Err(_) => {
                cancelled += 1;
                assert!(
                    now == b"old" || now == big,
                    "a torn value of {} bytes",
                    now.len()
                );
            }
        }
        store.put("d/k", "old").unwrap();
    }
    // A timer may lose the race to a fast backend, so also drop puts deterministically: poll
    // one once (which starts it) and drop it while it is pending. On a loaded machine the
    // library may finish a put before its first poll returns: try again, a few times at most.
    for _ in 0..20 {
        let mut fut = Box::pin(store.put_async("d/k", &big));
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::future::Future::poll(fut.as_mut(), cx))
        })
        .await;
        drop(fut);
        let now = store.get("d/k").unwrap().unwrap();
        assert!(
            now == b"old" || now == big,
            "a torn value of {} bytes",
            now.len()
        );
        store.put("d/k", "old").unwrap();
        if first.is_pending() {
            cancelled += 1;
            break;
        }
    }
    assert!(cancelled > 0, "no put was cancelled");
}

/// On s3://, dropping the future of a large get stops it promptly.
async fn dropped_get_is_prompt(store: &TestStore) {
    if !store.url.starts_with("s3") {
        return;
    }
    store.put("g/big", common::pattern(32 << 20)).unwrap();
    let start = Instant::now();
    let timed = tokio::time::timeout(Duration::from_millis(5), store.get_async("g/big")).await;
    let took = start.elapsed();
    eprintln!(
        "a 32 MiB get behind a 5 ms timeout: finished={} after {took:?}",
        timed.is_ok()
    );
    // The store is free at once for the next operation.
    assert_eq!(
        store.stat_async("g/big").await.unwrap().unwrap().size(),
        32 << 20
    );
}

/// The batch calls, asynchronously: one result per item, in order, each failed item with the
/// status and message the blocking call gives it.
async fn batches(store: &TestStore) {
    let results = store
        .put_many_async([("m/a", "1"), ("", "x"), ("m/b", "2")])
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    let bad = results[1].as_ref().unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidKey);
    let blocking = store.put_many([("", "x")]);
    assert!(!bad.message().is_empty());
    assert_eq!(bad, blocking[0].as_ref().unwrap_err());

    let values = store.get_many_async(["m/a", "m/none", "m/b", ""]).await;
    assert_eq!(values[0], Ok(Some(b"1".to_vec())));
    assert_eq!(values[1], Ok(None));
    assert_eq!(values[2], Ok(Some(b"2".to_vec())));
    assert_eq!(values[3], store.get_many([""]).pop().unwrap());
    assert_eq!(
        values[3].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidKey
    );

    let deleted = store.delete_many_async(["m/a", "m/none", ""]).await;
    assert!(deleted[0].is_ok() && deleted[1].is_ok(), "{deleted:?}");
    assert_eq!(deleted[2], store.delete_many([""]).pop().unwrap());
    assert_eq!(store.get("m/a").unwrap(), None);
    assert_eq!(store.get("m/b").unwrap().unwrap(), b"2");

    // No items: no op; a key C cannot carry: every item refused, as the blocking call does.
    assert!(store
        .put_many_async(Vec::<(&str, &str)>::new())
        .await
        .is_empty());
    assert!(store.get_many_async(Vec::<&str>::new()).await.is_empty());
    let refused = store.delete_many_async(["m/b", "a\0b"]).await;
    assert_eq!(refused, store.delete_many(["m/b", "a\0b"]));
    assert!(refused.iter().all(Result::is_err));
    assert_eq!(store.get("m/b").unwrap().unwrap(), b"2");

    // Many items at once, values whole.
    let items: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("m/many/{i:02}"), common::pattern(1000 + i)))
        .collect();
    let put = store
        .put_many_async(items.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
        .await;
    assert!(put.iter().all(Result::is_ok), "{put:?}");
    let got = store.get_many_async(items.iter().map(|(k, _)| k)).await;
    for ((key, value), got) in items.iter().zip(got) {
        assert_eq!(got.unwrap().as_deref(), Some(value.as_slice()), "{key}");
    }
}

/// Polls a future once (which starts its operation) and returns what that poll gave.
async fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *f).poll(cx))).await
}

/// Batch futures polled once and dropped while pending, which cancels their op
/// deterministically (no timer to lose a race): each key then holds its old value or its new
/// one, whole, and a batch that finished within that first poll did all its work (for the
/// delete, seen only if the put before it had finished too: see put_settled).
async fn dropped_batches(store: &TestStore) {
    let size = if store.url.starts_with("s3") {
        6 << 20
    } else {
        1 << 20
    };
    let keys: Vec<String> = (0..4).map(|i| format!("db/{i}")).collect();
    let new: Vec<Vec<u8>> = (0..4u8)
        .map(|i| {
            let mut v = common::pattern(size);
            v[0] = i;
            v
        })
        .collect();
    let old_or_new = |what: &str| {
        for (key, value) in keys.iter().zip(&new) {
            let now = store.get(key).unwrap();
            assert!(
                now.as_deref() == Some(b"old") || now.as_deref() == Some(value.as_slice()),
                "{what}: {key} holds {:?} bytes, neither old nor the new value",
                now.map(|v| v.len())
            );
        }
    };
    for key in &keys {
        store.put(key, "old").unwrap();
    }
    let mut pending = 0;
    let mut put = Box::pin(
        store.put_many_async(
            keys.iter()
                .zip(&new)
                .map(|(k, v)| (k.as_str(), v.as_slice())),
        ),
    );
    // A dropped write that could no longer be stopped still runs to its end (kvps.h,
    // cancellation), so it may land after anything that follows: after a dropped put_many
    // that was still pending, even a finished delete_many may see a value come back.
    let put_settled = match poll_once(&mut put).await {
        std::task::Poll::Pending => {
            pending += 1;
            false
        }
        std::task::Poll::Ready(results) => {
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            for (key, value) in keys.iter().zip(&new) {
                assert_eq!(store.get(key).unwrap().as_ref(), Some(value), "{key}");
            }
            true
        }
    };
    drop(put);
    old_or_new("a dropped put_many");

    let mut get = Box::pin(store.get_many_async(&keys));
    match poll_once(&mut get).await {
        std::task::Poll::Pending => pending += 1,
        std::task::Poll::Ready(values) => assert_eq!(values.len(), keys.len()),
    }
    drop(get); // a value read and not taken is freed with the op (valgrind checks it)

    let mut delete = Box::pin(store.delete_many_async(&keys));
    let finished = match poll_once(&mut delete).await {
        std::task::Poll::Pending => {
            pending += 1;
            false
        }
        std::task::Poll::Ready(results) => results.iter().all(Result::is_ok),
    };
    drop(delete);
    for (key, value) in keys.iter().zip(&new) {
        let now = store.get(key).unwrap();
        let whole = now.is_none()
            || now.as_deref() == Some(b"old")
            || now.as_deref() == Some(value.as_slice());
        assert!(
            whole,
            "a dropped delete_many left {key} with {:?} bytes",
            now.map(|v| v.len())
        );
        assert!(
            !finished || !put_settled || now.is_none(),
            "a finished delete_many left {key}"
        );
    }
    eprintln!("batch futures still pending after one poll, then dropped: {pending} of 3");
}

macro_rules! on_every_backend_async {
    ($($scenario:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                if let Some(store) = crate::common::memory() {
                    super::$scenario(&store).await;
                }
            })*
        }
        mod file {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                if let Some(store) = crate::common::file() {
                    super::$scenario(&store).await;
                }
            })*
        }
        mod s3 {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                if let Some(store) = crate::common::s3() {
                    super::$scenario(&store).await;
                }
            })*
        }
        mod gs {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                if let Some(store) = crate::common::gs() {
                    super::$scenario(&store).await;
                }
            })*
        }
        mod az {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                if let Some(store) = crate::common::az() {
                    super::$scenario(&store).await;
                }
            })*
        }
    };
}

on_every_backend_async!(
    values,
    concurrency,
    dropped_put,
    dropped_get_is_prompt,
    batches,
    dropped_batches
);

/// A current-thread runtime: the library's callback wakes the task from its own thread.
#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime() {
    let store = common::memory().unwrap();
    store.put_async("k", "v").await.unwrap();
    assert_eq!(store.get_async("k").await.unwrap().unwrap(), b"v");
}
