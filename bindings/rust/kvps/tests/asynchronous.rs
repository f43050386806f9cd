//! The `async fn` forms (feature `async`), driven by tokio, on memory://, file://, s3://
//! (`KVPS_TEST_S3_URL`), gs:// and az:// (`KVPS_TEST_GCS_URL`, `KVPS_TEST_AZ_URL`): results as the blocking calls give them, errors, and cancellation by
//! dropping the future (a timeout from the runtime) leaving the old value whole.
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
    // A timer may lose the race to a fast backend, so also drop a put deterministically: poll it
    // once (which starts it) and drop it while it is pending.
    let mut fut = Box::pin(store.put_async("d/k", &big));
    let first = std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::future::Future::poll(fut.as_mut(), cx))
    })
    .await;
    drop(fut);
    let now = store.get("d/k").unwrap().unwrap();
    if first.is_pending() {
        cancelled += 1;
    }
    assert!(
        now == b"old" || now == big,
        "a torn value of {} bytes",
        now.len()
    );
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

on_every_backend_async!(values, concurrency, dropped_put, dropped_get_is_prompt);

/// A current-thread runtime: the library's callback wakes the task from its own thread.
#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime() {
    let store = common::memory().unwrap();
    store.put_async("k", "v").await.unwrap();
    assert_eq!(store.get_async("k").await.unwrap().unwrap(), b"v");
}
