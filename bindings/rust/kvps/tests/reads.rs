//! Issue #15 through Rust: list_level, get_into, presign and the Corrupt kind.

use std::time::Duration;

use kvps::{ErrorKind, ListItem, Store};

#[test]
fn list_level_yields_keys_and_prefixes_in_order() {
    let store = Store::open("memory://").unwrap();
    for key in ["a", "b/1", "b/2", "b/c/3", "c-d", "c/x", "z"] {
        store.put(key, key).unwrap();
    }
    let items: Vec<ListItem> = store.list_level("", "/").collect::<Result<_, _>>().unwrap();
    let names: Vec<String> = items
        .iter()
        .map(|i| match i {
            ListItem::Key(e) => format!("k:{}", e.key()),
            ListItem::Prefix(p) => format!("p:{p}"),
        })
        .collect();
    assert_eq!(names, ["k:a", "p:b/", "k:c-d", "p:c/", "k:z"]);
    let after: Vec<String> = store
        .list_level("", "/")
        .start_after("b/")
        .map(|i| i.map(|i| i.name().to_string()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(after, ["c-d", "c/", "z"]);
    let error = store.list_level("", "").next().unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn get_into_fills_the_callers_buffer() {
    let store = Store::open("memory://").unwrap();
    store.put("v", "0123456789").unwrap();
    let mut buffer = [0u8; 12];
    assert_eq!(store.get_into("v", 0, &mut buffer).unwrap(), Some(10));
    assert_eq!(&buffer[..10], b"0123456789");
    assert_eq!(store.get_into("v", 8, &mut buffer).unwrap(), Some(2));
    let mut small = *b"xxx";
    let error = store.get_into("v", 0, &mut small).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_eq!(&small, b"xxx", "nothing copied");
    assert_eq!(store.size_needed("v", 0).unwrap(), Some(10));
    assert_eq!(store.size_needed("v", 4).unwrap(), Some(6));
    assert_eq!(store.get_into("missing", 0, &mut buffer).unwrap(), None);
}

#[test]
fn presign_is_unsupported_off_s3() {
    let store = Store::open("memory://").unwrap();
    let error = store
        .presign("k", "GET", Duration::from_secs(60))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
}

#[test]
fn corrupt_has_its_kind() {
    assert_eq!(ErrorKind::Corrupt.status(), 19);
    assert_eq!(ErrorKind::Corrupt.status_name(), "KVPS_CORRUPT");
}

#[test]
fn get_reads_every_size_on_local_stores() {
    // memory:// and file:// read a whole value with kvps_get_into: small values through a
    // buffer on the stack, larger ones straight into a Vec of their size.
    let folder = std::env::temp_dir().join(format!("kvps-rust-get-{}", std::process::id()));
    let file_url = format!("file://{}", folder.display());
    for url in ["memory://", file_url.as_str()] {
        let store = Store::open(url).unwrap();
        for size in [0usize, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 3 << 20] {
            let value: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            store.put("v", &value).unwrap();
            let got = store.get("v").unwrap().unwrap();
            assert_eq!(got.len(), size, "{url} size {size}");
            assert!(got == value, "{url} size {size}: other bytes");
        }
        assert_eq!(store.get("missing").unwrap(), None);
        assert_eq!(
            store.get("bad\0key").unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
    }
    std::fs::remove_dir_all(&folder).ok();
}
