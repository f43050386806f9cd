//! Issue #14 through Rust: PutOptions, put_with, writer_with, get_with_stat, copy, rename and
//! the Metadata fields, on every backend the tests can reach (s3://, gs:// and az:// with
//! KVPS_TEST_S3_URL, KVPS_TEST_GCS_URL and KVPS_TEST_AZ_URL).

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use kvps::{ErrorKind, PutOptions};

fn each_store(test: impl Fn(&kvps::Store)) {
    for store in [
        common::memory(),
        common::file(),
        common::s3(),
        common::gs(),
        common::az(),
    ]
    .into_iter()
    .flatten()
    {
        test(&store);
    }
}

#[test]
fn put_with_stores_properties_and_returns_the_etag() {
    each_store(|store| {
        let options = PutOptions::new()
            .content_type("text/csv")
            .metadata("Owner", "ops")
            .metadata("tier", "gold");
        let etag = store.put_with("p", "1,2", &options).unwrap();
        let meta = store.stat("p").unwrap().unwrap();
        assert_eq!(meta.etag(), etag);
        assert_eq!(meta.content_type(), "text/csv");
        let pairs: Vec<(&str, &str)> = meta
            .metadata()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, [("owner", "ops"), ("tier", "gold")]);
        assert_eq!(meta.metadata_value("OWNER"), Some("ops"));
        assert_eq!(meta.metadata_value("none"), None);
        store.put("plain", "x").unwrap();
        let plain = store.stat("plain").unwrap().unwrap();
        assert_eq!(plain.content_type(), "application/octet-stream");
        assert!(plain.metadata().is_empty());
        let (value, same) = store.get_with_stat("p").unwrap().unwrap();
        assert_eq!(
            (value.as_slice(), same.etag()),
            (&b"1,2"[..], etag.as_str())
        );
        assert!(store.get_with_stat("missing").unwrap().is_none());
    });
}

#[test]
fn failed_conditions_change_nothing() {
    each_store(|store| {
        let first = store
            .put_with("c", "one", &PutOptions::new().create_only())
            .unwrap();
        let error = store
            .put_with("c", "two", &PutOptions::new().create_only())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PreconditionFailed);
        assert!(error.message().contains('c'), "{}", error.message());
        let error = store
            .put_with("c", "two", &PutOptions::new().if_match("\"stale\""))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PreconditionFailed);
        assert_eq!(store.get("c").unwrap().unwrap(), b"one");
        let second = store
            .put_with("c", "two", &PutOptions::new().if_match(&first))
            .unwrap();
        assert_ne!(first, second);
        let both = PutOptions::new().if_match(&second).create_only();
        let error = store.put_with("c", "x", &both).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        let error = store
            .put_with("c", "x", &PutOptions::new().metadata("bad name", "v"))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        let error = store
            .put_with("c", "x", &PutOptions::new().content_type("a\0b"))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert_eq!(store.get("c").unwrap().unwrap(), b"two");
    });
}

#[test]
fn writer_with_checks_its_condition_at_commit() {
    each_store(|store| {
        let options = PutOptions::new().content_type("text/plain").create_only();
        let mut writer = store.writer_with("w", &options).unwrap();
        writer.write_all(b"streamed ").unwrap();
        writer.write_all(b"value").unwrap();
        let etag = writer.commit_with_etag().unwrap().unwrap();
        let meta = store.stat("w").unwrap().unwrap();
        assert_eq!(
            (meta.etag(), meta.content_type()),
            (etag.as_str(), "text/plain")
        );
        let mut again = store.writer_with("w", &options).unwrap();
        again.write_all(b"other").unwrap();
        let error = again.commit().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PreconditionFailed);
        assert_eq!(store.get("w").unwrap().unwrap(), b"streamed value");
        let mut swap = store
            .writer_with("w", &PutOptions::new().if_match(&etag))
            .unwrap();
        swap.write_all(b"new").unwrap();
        assert!(swap.commit_with_etag().unwrap().is_some());
        let mut plain = store.writer("w2").unwrap();
        plain.write_all(b"p").unwrap();
        assert_eq!(plain.commit_with_etag().unwrap(), None);
    });
}

#[test]
fn copy_and_rename_keep_or_replace_properties() {
    each_store(|store| {
        let options = PutOptions::new()
            .content_type("image/png")
            .metadata("a", "1");
        store.put_with("dir/src", "", &options).unwrap();
        let etag = store
            .copy("dir/src", "other/dst", &PutOptions::new())
            .unwrap();
        let meta = store.stat("other/dst").unwrap().unwrap();
        assert_eq!(meta.etag(), etag);
        assert_eq!(meta.content_type(), "image/png");
        assert_eq!(meta.metadata_value("a"), Some("1"));
        let replaced = PutOptions {
            metadata: Some(vec![]),
            ..Default::default()
        };
        store.rename("other/dst", "moved", &replaced).unwrap();
        assert!(store.stat("other/dst").unwrap().is_none());
        let moved = store.stat("moved").unwrap().unwrap();
        assert_eq!(moved.content_type(), "image/png");
        // fake-gcs-server's rewrite keeps the source's metadata unless the request names some
        // ("Only supplied metadata overwrites", fakestorage/object.go; tests/gcs/README.md).
        assert!(moved.metadata().is_empty() || store.url().starts_with("gs"));
        let error = store.copy("missing", "x", &PutOptions::new()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);
        let error = store
            .copy("dir/src", "moved", &PutOptions::new().create_only())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PreconditionFailed);
        store
            .copy("dir/src", "dir/src", &PutOptions::new())
            .unwrap();
        assert_eq!(store.get("dir/src").unwrap().unwrap(), b"");
    });
}

#[test]
fn compare_and_swap_counter_from_threads() {
    let store = common::memory().unwrap();
    store.put("n", "0").unwrap();
    let retries = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..250 {
                    loop {
                        let (value, meta) = store.get_with_stat("n").unwrap().unwrap();
                        let n: u64 = String::from_utf8(value).unwrap().parse().unwrap();
                        let options = PutOptions::new().if_match(meta.etag());
                        match store.put_with("n", (n + 1).to_string(), &options) {
                            Ok(_) => break,
                            Err(e) if e.kind() == ErrorKind::PreconditionFailed => {
                                retries.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(store.get("n").unwrap().unwrap(), b"1000");
}
