//! Opens a fresh, empty store for one test on each backend, and cleans it up afterwards.
//!
//! - memory: a private `memory://` store.
//! - file: a new folder under cargo's test temp folder, removed afterwards.
//! - s3: `KVPS_TEST_S3_URL` with a unique prefix inserted after the bucket; its keys are
//!   deleted afterwards. Without the variable the test is skipped, unless CI=true, where it
//!   fails (a skipped test in CI is a failure). The same rule holds for a backend that the
//!   linked library does not have.
//! - gs, az: the same with `KVPS_TEST_GCS_URL` (fake-gcs-server) and `KVPS_TEST_AZ_URL`
//!   (Azurite), which scripts/test.sh sets after starting the emulators; on az:// the prefix
//!   goes after the container (`az://account/container/prefix`).

#![allow(dead_code)]

use std::io::Write;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use kvps::Store;

pub struct TestStore {
    store: Store,
    /// The URL the store was opened with (may hold secrets: never print it).
    pub url: String,
    /// The longest key this store takes: 1024 bytes, less the prefix on S3 (whose limit of
    /// 1024 bytes counts the whole object name).
    pub max_key: usize,
    folder: Option<PathBuf>,
}

impl Deref for TestStore {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(folder) = &self.folder {
            let _ = std::fs::remove_dir_all(folder);
        } else if ["s3", "gs", "az"]
            .iter()
            .any(|scheme| self.store.url().starts_with(scheme))
        {
            let keys: Vec<String> = self
                .store
                .list("")
                .filter_map(Result::ok)
                .map(kvps::Entry::into_key)
                .collect();
            let _ = self.store.delete_many(&keys);
        }
    }
}

/// A name no other test, run or process uses.
pub fn unique(tag: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("rust-{tag}-{}-{nanos}-{n}", std::process::id())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (returns None) with a message, or fails when running in CI.
fn skip(why: &str) -> Option<TestStore> {
    assert!(!in_ci(), "CI=true and {why}");
    // Written to stderr directly, past the test harness's capture, so a skip is seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
    None
}

fn require_backend(scheme: &str) -> bool {
    kvps::backend(scheme).is_some()
}

pub fn memory() -> Option<TestStore> {
    let url = "memory://".to_string();
    Some(TestStore {
        store: Store::open(&url).expect("open memory://"),
        url,
        max_key: kvps_sys::KVPS_KEY_MAX,
        folder: None,
    })
}

/// The folder a file:// store of this test lives in.
pub fn scratch_folder(tag: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(unique(tag))
}

pub fn file() -> Option<TestStore> {
    if !require_backend("file") {
        return skip("the linked libkvps has no file:// backend");
    }
    let folder = scratch_folder("file");
    let url = format!("file://{}", folder.display());
    let store = Store::open(&url).unwrap_or_else(|e| panic!("open {url}: {e}"));
    Some(TestStore {
        store,
        url,
        max_key: kvps_sys::KVPS_KEY_MAX,
        folder: Some(folder),
    })
}

/// `KVPS_TEST_S3_URL` with "/<unique>" inserted after the bucket.
pub fn s3_url() -> Option<String> {
    server_url_and_prefix("KVPS_TEST_S3_URL", "s3").map(|(url, _)| url)
}

/// The URL in `variable` with "/<unique>" inserted after the bucket (after the container on
/// az://, whose first segment is the account).
fn server_url_and_prefix(variable: &str, tag: &str) -> Option<(String, String)> {
    let base = std::env::var(variable).ok().filter(|u| !u.is_empty())?;
    let after_scheme = base
        .find("://")
        .unwrap_or_else(|| panic!("{variable} has no scheme"))
        + 3;
    let segments = if base.starts_with("az") { 2 } else { 1 };
    let mut bucket_end = after_scheme;
    for n in 0..segments {
        if n > 0 {
            bucket_end += 1; // the '/' between account and container
        }
        bucket_end = base[bucket_end..]
            .find(['/', '?'])
            .map_or(base.len(), |i| i + bucket_end);
    }
    let prefix = unique(tag);
    let url = format!("{}/{prefix}{}", &base[..bucket_end], &base[bucket_end..]);
    Some((url, prefix))
}

/// A store on the server whose URL is in `variable` (of backend `scheme`), under a unique prefix.
fn server_store(variable: &str, scheme: &str) -> Option<TestStore> {
    if !require_backend(scheme) {
        return skip(&format!("the linked libkvps has no {scheme}:// backend"));
    }
    let Some((url, prefix)) = server_url_and_prefix(variable, scheme) else {
        return skip(&format!(
            "{variable} is not set (the {scheme}:// server's store URL; scripts/test.sh starts one)"
        ));
    };
    // Never print the URL: it holds credentials.
    let store = Store::open(&url).unwrap_or_else(|e| panic!("open {variable}: {e}"));
    Some(TestStore {
        store,
        url,
        // S3, GCS and Azure all count their 1024-byte name limit over the whole object name.
        max_key: kvps_sys::KVPS_KEY_MAX - prefix.len() - 1,
        folder: None,
    })
}

pub fn s3() -> Option<TestStore> {
    server_store("KVPS_TEST_S3_URL", "s3")
}

/// gs:// on fake-gcs-server (`KVPS_TEST_GCS_URL`).
pub fn gs() -> Option<TestStore> {
    server_store("KVPS_TEST_GCS_URL", "gs")
}

/// az:// on Azurite (`KVPS_TEST_AZ_URL`).
pub fn az() -> Option<TestStore> {
    server_store("KVPS_TEST_AZ_URL", "az")
}

/// Generates one test per backend for each scenario function `fn(&TestStore)`.
#[macro_export]
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $scenario() {
                if let Some(store) = $crate::common::memory() {
                    super::$scenario(&store);
                }
            })*
        }
        mod file {
            $(#[test]
            fn $scenario() {
                if let Some(store) = $crate::common::file() {
                    super::$scenario(&store);
                }
            })*
        }
        mod s3 {
            $(#[test]
            fn $scenario() {
                if let Some(store) = $crate::common::s3() {
                    super::$scenario(&store);
                }
            })*
        }
        mod gs {
            $(#[test]
            fn $scenario() {
                if let Some(store) = $crate::common::gs() {
                    super::$scenario(&store);
                }
            })*
        }
        mod az {
            $(#[test]
            fn $scenario() {
                if let Some(store) = $crate::common::az() {
                    super::$scenario(&store);
                }
            })*
        }
    };
}

/// Deterministic pseudo-random bytes (xorshift), so a misplaced or repeated chunk shows.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}
