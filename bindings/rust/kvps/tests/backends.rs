//! The safe API against every backend: memory://, file://, the real S3 server, and gs:// and
//! az:// on their emulators (fake-gcs-server, Azurite).

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime};

use common::{pattern, TestStore};
use kvps::{Capabilities, ErrorKind};

on_every_backend!(
    values_round_trip,
    keys_at_the_limits,
    bad_keys_are_rejected_and_named,
    ranges_are_clamped,
    stat_reports_size_time_and_a_changing_etag,
    delete_is_idempotent,
    list_pages_through_a_prefix_in_key_order,
    batch_items_have_their_own_results,
    reader_reads_and_seeks,
    reader_over_a_range,
    writer_commits_atomically,
    dropped_writer_leaves_the_old_value,
    large_value_streams_both_ways,
    threads_share_one_store,
    capabilities_match_the_backend,
);

fn values_round_trip(store: &TestStore) {
    store.put("text", "hello").unwrap();
    assert_eq!(store.get("text").unwrap().unwrap(), b"hello");

    let binary: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    store.put("binary", &binary).unwrap();
    assert_eq!(store.get("binary").unwrap().unwrap(), binary);

    store.put("empty", b"").unwrap();
    assert_eq!(store.get("empty").unwrap(), Some(Vec::new()));

    store.put("text", "replaced").unwrap();
    assert_eq!(store.get("text").unwrap().unwrap(), b"replaced");

    assert_eq!(store.get("never written").unwrap(), None);
}

fn keys_at_the_limits(store: &TestStore) {
    // The longest key, in segments short enough for any file system (MinIO stores objects
    // as files), ending in a two-byte character.
    let mut longest = String::new();
    while longest.len() < store.max_key - 2 {
        let segment = (store.max_key - 2 - longest.len()).min(200);
        longest.push_str(&"k".repeat(segment - 1));
        longest.push('/');
    }
    longest.pop();
    longest.push_str("k\u{e9}");
    assert_eq!(longest.len(), store.max_key);
    let keys = [
        longest.as_str(),
        "ключ/日本語/🦀",
        "with space",
        "100%+plus",
        "a/b/c",
        "tilde~star*quote'",
    ];
    for (i, key) in keys.iter().enumerate() {
        store
            .put(key, i.to_string())
            .unwrap_or_else(|e| panic!("put {key:?}: {e}"));
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(store.get(key).unwrap().unwrap(), i.to_string().as_bytes());
    }
    let mut listed: Vec<String> = store.list("").map(|e| e.unwrap().into_key()).collect();
    let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    expected.sort(); // byte order of UTF-8 is the order of str
    listed.sort();
    assert_eq!(listed, expected);
}

fn bad_keys_are_rejected_and_named(store: &TestStore) {
    // Over the API's limit, so the library refuses it before any backend sees it.
    let too_long = "x".repeat(kvps_sys::KVPS_KEY_MAX + 1);
    for key in ["", "tab\there", "nul\0here", "del\u{7f}", too_long.as_str()] {
        let error = store.put(key, "v").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidKey, "{key:?}: {error}");
        assert!(!error.message().is_empty(), "{key:?} has no message");
        let failures = [
            store.get(key).map(drop),
            store.stat(key).map(drop),
            store.delete(key),
            store.reader(key).map(drop),
        ];
        for failure in failures {
            let error = failure.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidKey, "{key:?}: {error}");
        }
    }
    let error = store.put("tab\there", "v").unwrap_err();
    assert!(
        error.message().contains("tab"),
        "the message names the key: {error}"
    );
    assert!(error.to_string().contains("KVPS_INVALID_KEY"), "{error}");
    assert_eq!(store.list("").count(), 0, "nothing was written");
}

fn ranges_are_clamped(store: &TestStore) {
    store.put("digits", "0123456789").unwrap();
    let range = |r: std::ops::Range<u64>| store.get_range("digits", r).unwrap().unwrap();
    assert_eq!(range(0..10), b"0123456789");
    assert_eq!(range(3..7), b"3456");
    assert_eq!(range(8..1000), b"89");
    assert_eq!(range(10..20), b"");
    assert_eq!(range(50..60), b"");
    assert_eq!(range(4..4), b"");
    assert_eq!(store.get_range("digits", 7..).unwrap().unwrap(), b"789");
    assert_eq!(store.get_range("digits", ..=2).unwrap().unwrap(), b"012");
    assert_eq!(store.get_range("nothing", 0..3).unwrap(), None);
    #[allow(clippy::reversed_empty_ranges)]
    let inverted = store.get_range("digits", 5..2).unwrap_err();
    assert_eq!(inverted.kind(), ErrorKind::InvalidArgument);
}

fn stat_reports_size_time_and_a_changing_etag(store: &TestStore) {
    let before = SystemTime::now() - Duration::from_secs(120);
    store.put("k", "four").unwrap();
    let first = store.stat("k").unwrap().unwrap();
    assert_eq!(first.size(), 4);
    assert!(!first.etag().is_empty());
    let after = SystemTime::now() + Duration::from_secs(120);
    assert!(
        first.modified() > before && first.modified() < after,
        "{:?}",
        first.modified()
    );

    store.put("k", "FOUR").unwrap(); // same size, at once: the etag must still change
    let second = store.stat("k").unwrap().unwrap();
    assert_eq!(second.size(), 4);
    assert_ne!(first.etag(), second.etag());
    assert_eq!(store.stat("missing").unwrap(), None);
}

fn delete_is_idempotent(store: &TestStore) {
    store.put("gone", "soon").unwrap();
    store.delete("gone").unwrap();
    assert_eq!(store.get("gone").unwrap(), None);
    assert_eq!(store.stat("gone").unwrap(), None);
    store.delete("gone").unwrap();
    store.delete("never was").unwrap();
}

fn list_pages_through_a_prefix_in_key_order(store: &TestStore) {
    let keys = ["p/e", "p/a", "p/c", "p/b", "p/d", "p/g", "p/f", "q/a", "o"];
    for key in keys {
        store.put(key, key.repeat(3)).unwrap();
    }
    for page_size in [0, 1, 2, 3, 100] {
        let entries: Vec<kvps::Entry> = store
            .list("p/")
            .page_size(page_size)
            .collect::<Result<_, _>>()
            .unwrap();
        let listed: Vec<&str> = entries.iter().map(|e| e.key()).collect();
        assert_eq!(
            listed,
            ["p/a", "p/b", "p/c", "p/d", "p/e", "p/f", "p/g"],
            "page size {page_size}"
        );
        assert!(entries.iter().all(|e| e.size() == 9));
    }
    assert_eq!(store.list("").count(), keys.len());
    assert_eq!(store.list("zzz").count(), 0);

    // Explicit paging with stored cursors gives the same keys exactly once.
    let mut cursor: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let page = store.list_page("p/", cursor.as_deref(), 3).unwrap();
        assert!(page.entries().len() <= 3);
        paged.extend(page.entries().iter().map(|e| e.key().to_string()));
        match page.cursor() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, ["p/a", "p/b", "p/c", "p/d", "p/e", "p/f", "p/g"]);
    for garbled in ["garbled cursor", "nul\0cursor"] {
        let error = store.list_page("p/", Some(garbled), 3).unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::InvalidArgument,
            "{garbled:?}: {error}"
        );
    }

    let mut bad = store.list("nul\0prefix");
    assert_eq!(
        bad.next().unwrap().unwrap_err().kind(),
        ErrorKind::InvalidKey
    );
    assert!(bad.next().is_none(), "the listing ends after its error");
}

fn batch_items_have_their_own_results(store: &TestStore) {
    store.put("old", "value").unwrap();
    let results = store.put_many([
        ("a", "1"),
        ("", "empty key"),
        ("b", "2"),
        ("bad\u{1}key", "x"),
        ("c", "3"),
    ]);
    assert_eq!(results.len(), 5);
    assert!(results[0].is_ok() && results[2].is_ok() && results[4].is_ok());
    for i in [1, 3] {
        let error = results[i].as_ref().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidKey, "item {i}");
        assert!(!error.message().is_empty());
    }
    // Each failed item carries the library's own message for it.
    let last = results[3].as_ref().unwrap_err().message();
    assert!(last.contains("bad\\x01key"), "{last}");
    assert_ne!(results[1].as_ref().unwrap_err().message(), last);

    let values = store.get_many(["a", "missing", "c", "", "old"]);
    assert_eq!(values[0], Ok(Some(b"1".to_vec())));
    assert_eq!(values[1], Ok(None));
    assert_eq!(values[2], Ok(Some(b"3".to_vec())));
    assert_eq!(
        values[3].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidKey
    );
    assert_eq!(values[4], Ok(Some(b"value".to_vec())));

    let deleted = store.delete_many(["a", "missing", "b"]);
    assert!(deleted.iter().all(Result::is_ok), "{deleted:?}");
    let keys: Vec<String> = store.list("").map(|e| e.unwrap().into_key()).collect();
    assert_eq!(keys, ["c", "old"]);

    assert!(store.put_many(Vec::<(&str, &[u8])>::new()).is_empty());
    assert!(store.get_many(Vec::<String>::new()).is_empty());
}

fn reader_reads_and_seeks(store: &TestStore) {
    assert!(store.reader("missing").unwrap().is_none());
    store.put("k", "hello, world").unwrap();
    let mut reader = store.reader("k").unwrap().unwrap();
    assert_eq!(reader.value_size(), 12);

    let mut buffer = [0u8; 5];
    reader.read_exact(&mut buffer).unwrap();
    assert_eq!(&buffer, b"hello");
    assert_eq!(reader.stream_position().unwrap(), 5);

    assert_eq!(reader.seek(SeekFrom::Current(2)).unwrap(), 7);
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "world");
    assert_eq!(reader.read(&mut buffer).unwrap(), 0, "end of value");

    assert_eq!(reader.seek(SeekFrom::End(-5)).unwrap(), 7);
    reader.read_exact(&mut buffer).unwrap();
    assert_eq!(&buffer, b"world");

    reader.seek(SeekFrom::Start(0)).unwrap();
    reader.read_exact(&mut buffer[..2]).unwrap();
    assert_eq!(&buffer[..2], b"he");

    reader.seek(SeekFrom::Start(100)).unwrap();
    assert_eq!(
        reader.read(&mut buffer).unwrap(),
        0,
        "past the end reads as the end"
    );

    let error = reader.seek(SeekFrom::Current(-1000)).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(
        reader.stream_position().unwrap(),
        100,
        "a failed seek does not move"
    );
}

fn reader_over_a_range(store: &TestStore) {
    store.put("k", "0123456789").unwrap();
    let mut reader = store.reader_range("k", 2..8).unwrap().unwrap();
    assert_eq!(reader.value_size(), 10, "the whole value's size");
    assert_eq!(reader.stream_position().unwrap(), 2);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "234567");

    reader.seek(SeekFrom::Start(5)).unwrap(); // an offset in the value, not in the range
    text.clear();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "567", "reads stop at the end of the range");
}

fn writer_commits_atomically(store: &TestStore) {
    store.put("k", "old").unwrap();
    let mut writer = store.writer("k").unwrap();
    writer.write_all(b"new ").unwrap();
    write!(writer, "value {}", 42).unwrap();
    writer.flush().unwrap();
    assert_eq!(
        store.get("k").unwrap().unwrap(),
        b"old",
        "invisible before commit"
    );
    writer.commit().unwrap();
    assert_eq!(store.get("k").unwrap().unwrap(), b"new value 42");

    let empty = store.writer("empty").unwrap();
    empty.commit().unwrap();
    assert_eq!(store.get("empty").unwrap(), Some(Vec::new()));

    let bad = store.writer("").and_then(|w| w.commit());
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidKey);
}

fn dropped_writer_leaves_the_old_value(store: &TestStore) {
    store.put("k", "old").unwrap();
    {
        let mut writer = store.writer("k").unwrap();
        writer.write_all(b"never committed").unwrap();
    }
    assert_eq!(store.get("k").unwrap().unwrap(), b"old");

    let mut writer = store.writer("k").unwrap();
    writer.write_all(b"aborted").unwrap();
    writer.abort();
    assert_eq!(store.get("k").unwrap().unwrap(), b"old");

    let mut writer = store.writer("fresh").unwrap();
    writer.write_all(b"x").unwrap();
    drop(writer);
    assert_eq!(store.get("fresh").unwrap(), None, "no value appears");
}

fn large_value_streams_both_ways(store: &TestStore) {
    let value = pattern(9 << 20); // larger than S3's smallest multipart part
    let mut writer = store.writer("big").unwrap();
    for chunk in value.chunks(1 << 20) {
        writer.write_all(chunk).unwrap();
    }
    writer.commit().unwrap();
    assert_eq!(
        store.stat("big").unwrap().unwrap().size(),
        value.len() as u64
    );

    let mut reader = store.reader("big").unwrap().unwrap();
    let mut read = Vec::new();
    reader.read_to_end(&mut read).unwrap();
    assert!(read == value, "streamed value differs");

    let middle = store
        .get_range("big", 5_000_000..5_000_100)
        .unwrap()
        .unwrap();
    assert_eq!(middle, value[5_000_000..5_000_100]);
}

fn threads_share_one_store(store: &TestStore) {
    let store: &kvps::Store = store;
    std::thread::scope(|scope| {
        for t in 0..8 {
            scope.spawn(move || {
                for i in 0..25 {
                    let key = format!("t{t}/k{i:02}");
                    store.put(&key, &key).unwrap();
                    assert_eq!(store.get(&key).unwrap().unwrap(), key.as_bytes());
                }
            });
        }
    });
    assert_eq!(store.list("").count(), 200);
    assert_eq!(store.list("t3/").count(), 25);
}

fn capabilities_match_the_backend(store: &TestStore) {
    let capabilities = store.capabilities();
    let scheme = store.url.split("://").next().unwrap();
    let backend = kvps::backend(scheme).unwrap();
    assert_eq!(capabilities, backend.capabilities());
    let persistent = capabilities.contains(Capabilities::PERSISTENT);
    assert_eq!(persistent, scheme != "memory", "{scheme}: {capabilities:?}");
}

/// Values written through one handle of a file:// folder are there for the next one.
#[test]
fn file_values_persist_across_handles() {
    let Some(store) = common::file() else { return };
    store.put("kept", "across handles").unwrap();
    let again = kvps::Store::open(&store.url).unwrap();
    assert_eq!(again.get("kept").unwrap().unwrap(), b"across handles");
}

/// The s3 store's URL, as the library reports it, carries no secret.
#[test]
fn s3_url_hides_the_secret() {
    let Some(store) = common::s3() else { return };
    let secret = store
        .url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret_access_key="))
        .expect("KVPS_TEST_S3_URL carries secret_access_key");
    assert!(!secret.is_empty());
    assert!(
        !store.url().contains(secret),
        "the secret leaked into Store::url()"
    );
    assert!(!format!("{:?}", &*store).contains(secret));
}

/// The az store's URL, as the library reports it, carries no account key (neither as given,
/// percent-encoded, nor its decoded start).
#[test]
fn az_url_hides_the_account_key() {
    let Some(store) = common::az() else { return };
    let key = store
        .url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("account_key="))
        .expect("KVPS_TEST_AZ_URL carries account_key");
    // The first 16 characters hold no percent escape in the emulator's published key.
    let start = &key[..16];
    assert!(
        !store.url().contains(start),
        "the key leaked into Store::url()"
    );
    assert!(!format!("{:?}", &*store).contains(start));
}
