//! The process-wide logger (its own test binary: logging is global).

mod common;

use std::sync::{Arc, Mutex};

use kvps::{LogLevel, Store};

type Lines = Arc<Mutex<Vec<(LogLevel, String)>>>;

fn capture(max_level: LogLevel) -> Lines {
    let lines: Lines = Arc::default();
    let sink = lines.clone();
    kvps::set_logger(max_level, move |level, line| {
        sink.lock().unwrap().push((level, line.to_string()))
    });
    lines
}

#[test]
fn logging_reports_operations_survives_panics_and_hides_secrets() {
    // Info: one line per operation, naming it and the key.
    let lines = capture(LogLevel::Info);
    let store = Store::open("memory://").unwrap();
    store.put("logged-key", "x").unwrap();
    assert!(
        lines.lock().unwrap().iter().any(|(level, line)| {
            *level <= LogLevel::Info && line.contains("put") && line.contains("logged-key")
        }),
        "{:?}",
        lines.lock().unwrap()
    );

    // A panicking logger must not unwind into the library: the call still succeeds.
    kvps::set_logger(LogLevel::Debug, |_, _| panic!("logger panicked"));
    store.put("after panic", "still works").unwrap();
    assert_eq!(store.get("after panic").unwrap().unwrap(), b"still works");

    // Cleared: nothing more arrives.
    let lines = capture(LogLevel::Debug);
    kvps::clear_logger();
    store.put("quiet", "x").unwrap();
    assert!(lines.lock().unwrap().is_empty());

    // With the real S3 server at Debug, no line carries the secret key.
    let Some(url) = common::s3_url() else { return };
    let secret = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret_access_key="))
        .unwrap()
        .to_string();
    let lines = capture(LogLevel::Debug);
    let s3 = Store::open(&url).unwrap();
    s3.put("k", "v").unwrap();
    assert_eq!(s3.get("k").unwrap().unwrap(), b"v");
    let _ = Store::open(&url.replace(&secret, "wrong-secret")).and_then(|bad| bad.get("k"));
    s3.delete("k").unwrap();
    kvps::clear_logger();
    let lines = lines.lock().unwrap();
    assert!(lines.iter().any(|(level, _)| *level == LogLevel::Debug));
    for (_, line) in lines.iter() {
        assert!(!line.contains(&secret), "secret in a log line");
        assert!(!line.contains("wrong-secret"), "secret in a log line");
    }
}
