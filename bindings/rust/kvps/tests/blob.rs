//! Blobs: values without a copy on memory://, and the same bytes through every other store.

use std::io::Write;
use std::sync::Arc;

use kvps::{Blob, Capabilities, ErrorKind, Store};

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn memory_keeps_the_blob_itself() {
    let store = Store::open("memory://").unwrap();
    assert!(store.capabilities().contains(Capabilities::ZERO_COPY));
    let blob = Blob::from(pattern(3 << 20, 1));
    let address = blob.as_ptr();
    store.put_blob("big", &blob).unwrap();
    drop(blob); // the store holds its own reference
    let back = store.get_blob("big").unwrap().unwrap();
    assert_eq!(back.as_ptr(), address);
    assert_eq!(&back[..], &pattern(3 << 20, 1)[..]);
    // get() and a reader see the same bytes.
    assert_eq!(store.get("big").unwrap().unwrap(), pattern(3 << 20, 1));
    assert_eq!(store.get_blob("missing").unwrap(), None);
}

#[test]
fn every_store_round_trips_blobs() {
    let dir = std::env::temp_dir().join(format!("kvps-rust-blob-{}", std::process::id()));
    let file_url = format!("file://{}", dir.display());
    for url in ["memory://", file_url.as_str()] {
        let store = Store::open(url).unwrap();
        for n in [0usize, 1, 1000, 200_000] {
            let key = format!("blob/{n}");
            store.put_blob(&key, &Blob::from(pattern(n, 3))).unwrap();
            let back = store.get_blob(&key).unwrap().unwrap();
            assert_eq!(back.len(), n, "{url} {n}");
            assert_eq!(&back[..], &pattern(n, 3)[..], "{url} {n}");
            assert_eq!(back, Blob::from(pattern(n, 3)));
            store.delete(&key).unwrap();
        }
        let error = store.put_blob("", &Blob::from_static(b"x")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidKey);
        let error = store.get_blob("a\0b").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidKey);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn streams_take_and_hand_out_blobs() {
    let store = Store::open("memory://").unwrap();
    let big = Blob::from(pattern(1 << 20, 5));
    let mut w = store.writer("s").unwrap();
    w.write_all(b"head").unwrap();
    w.write_blob(&big).unwrap();
    w.write_blob(&Blob::from_static(b"small")).unwrap();
    w.write_blob(&big).unwrap();
    w.commit().unwrap();
    let mut expect = b"head".to_vec();
    expect.extend_from_slice(&big);
    expect.extend_from_slice(b"small");
    expect.extend_from_slice(&big);
    assert_eq!(store.get("s").unwrap().unwrap(), expect);

    let mut r = store.reader("s").unwrap().unwrap();
    let mut back = Vec::new();
    let mut shared = false;
    while let Some(piece) = r.read_blob(1 << 20).unwrap() {
        assert!(!piece.is_empty() && piece.len() <= 1 << 20);
        shared |= piece.as_ptr() == big.as_ptr(); // the kept block, handed out as a slice
        back.extend_from_slice(&piece);
    }
    assert!(shared);
    assert_eq!(back, expect);
    assert_eq!(r.read_blob(1).unwrap(), None);
    let error = r.read_blob(0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn blobs_cross_threads_and_outlive_the_value() {
    let store = Arc::new(Store::open("memory://").unwrap());
    store
        .put_blob("k", &Blob::from(pattern(100_000, 9)))
        .unwrap();
    let held = store.get_blob("k").unwrap().unwrap();
    store.delete("k").unwrap();
    let copies: Vec<Blob> = (0..4).map(|_| held.clone()).collect();
    drop(held);
    let handles: Vec<_> = copies
        .into_iter()
        .map(|b| std::thread::spawn(move || b.iter().map(|&x| x as u64).sum::<u64>()))
        .collect();
    let sums: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let expect: u64 = pattern(100_000, 9).iter().map(|&x| x as u64).sum();
    assert!(sums.iter().all(|&s| s == expect));
}
