//! What does not depend on a backend: opening, errors, introspection, thread-safety types.

mod common;

use std::error::Error as _;

use kvps::{Capabilities, ErrorKind, OptionType, Reader, Store, Writer};

#[test]
fn store_is_send_and_sync_and_streams_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Store>();
    send_sync::<kvps::Error>();
    send::<Reader<'static>>();
    send::<Writer<'static>>();
}

#[test]
fn a_store_can_move_to_another_thread_and_be_shared_by_arc() {
    let store = std::sync::Arc::new(Store::open("memory://").unwrap());
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || store.put("from thread", "yes").unwrap())
    };
    writer.join().unwrap();
    assert_eq!(store.get("from thread").unwrap().unwrap(), b"yes");
}

#[test]
fn bad_urls_have_their_own_kinds_and_messages() {
    let cases = [
        ("nosuch://x", ErrorKind::UnknownScheme, "nosuch"),
        ("no scheme at all", ErrorKind::InvalidUrl, ""),
        ("", ErrorKind::InvalidUrl, ""),
        (
            "memory://?bogus_option=1",
            ErrorKind::InvalidOption,
            "bogus_option",
        ),
        ("memory://x\0y", ErrorKind::InvalidUrl, "store URL"),
    ];
    for (url, kind, named) in cases {
        let error = Store::open(url).unwrap_err();
        assert_eq!(error.kind(), kind, "{url:?}: {error}");
        assert!(!error.message().is_empty(), "{url:?} has no message");
        assert!(error.message().contains(named), "{url:?}: {error}");
    }
    let unknown = Store::open("nosuch://x").unwrap_err();
    assert!(
        unknown.message().contains("memory"),
        "lists known schemes: {unknown}"
    );
}

#[test]
fn options_outside_the_url_are_checked_and_secret_values_never_echoed() {
    let error = Store::open_with("memory://", [("bogus", "1")]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidOption);
    assert!(error.message().contains("bogus"), "{error}");

    let error = Store::open_with("memory://", [("name\0", "v")]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidOption);

    let secret = "hunter2-secret";
    let error = Store::open_with("memory://", [("bogus", format!("{secret}\0"))]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidOption);
    assert!(error.message().contains("bogus"));
    assert!(!error.to_string().contains(secret), "{error}");

    let options: Vec<(String, String)> = Vec::new();
    assert!(Store::open_with("memory://", options).is_ok());
}

#[test]
fn named_memory_stores_are_shared_between_handles() {
    let url = format!("memory://{}", common::unique("shared"));
    let first = Store::open(&url).unwrap();
    let second = Store::open(&url).unwrap();
    first.put("k", "seen by both").unwrap();
    assert_eq!(second.get("k").unwrap().unwrap(), b"seen by both");
    let private = Store::open("memory://").unwrap();
    assert_eq!(private.get("k").unwrap(), None);
    assert!(first.url().starts_with("memory://"), "{}", first.url());
    assert!(format!("{first:?}").contains("memory://"));
}

#[test]
fn errors_work_as_std_and_io_errors() {
    fn put_empty(store: &Store) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        store.put("", "x")?;
        Ok(())
    }
    let store = Store::open("memory://").unwrap();
    let boxed = put_empty(&store).unwrap_err();
    let error = boxed.downcast_ref::<kvps::Error>().expect("a kvps::Error");
    assert_eq!(error.kind(), ErrorKind::InvalidKey);
    assert_eq!(error.kind().status_name(), "KVPS_INVALID_KEY");
    assert_eq!(error.kind().to_string(), "KVPS_INVALID_KEY");
    assert!(error.source().is_none());

    let io: std::io::Error = error.clone().into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    let inner = io.get_ref().unwrap().downcast_ref::<kvps::Error>().unwrap();
    assert_eq!(inner, error);
}

#[test]
fn every_error_kind_has_its_library_name() {
    let kinds = [
        (ErrorKind::NotFound, "KVPS_NOT_FOUND", 1),
        (ErrorKind::InvalidArgument, "KVPS_INVALID_ARGUMENT", 2),
        (ErrorKind::InvalidUrl, "KVPS_INVALID_URL", 3),
        (ErrorKind::UnknownScheme, "KVPS_UNKNOWN_SCHEME", 4),
        (ErrorKind::InvalidOption, "KVPS_INVALID_OPTION", 5),
        (ErrorKind::InvalidKey, "KVPS_INVALID_KEY", 6),
        (ErrorKind::PermissionDenied, "KVPS_PERMISSION_DENIED", 7),
        (ErrorKind::PreconditionFailed, "KVPS_PRECONDITION_FAILED", 8),
        (ErrorKind::Io, "KVPS_IO", 9),
        (ErrorKind::Network, "KVPS_NETWORK", 10),
        (ErrorKind::Timeout, "KVPS_TIMEOUT", 11),
        (ErrorKind::Remote, "KVPS_REMOTE", 12),
        (ErrorKind::Unsupported, "KVPS_UNSUPPORTED", 13),
        (ErrorKind::NoMemory, "KVPS_NO_MEMORY", 14),
        (ErrorKind::Internal, "KVPS_INTERNAL", 15),
        (ErrorKind::NoSpace, "KVPS_NO_SPACE", 16),
        (ErrorKind::Cancelled, "KVPS_CANCELLED", 17),
        (ErrorKind::OutcomeUnknown, "KVPS_OUTCOME_UNKNOWN", 18),
        (ErrorKind::Corrupt, "KVPS_CORRUPT", 19),
        (ErrorKind::NoCredentials, "KVPS_NO_CREDENTIALS", 20),
        (ErrorKind::Other(999), "KVPS_UNKNOWN_STATUS", 999),
    ];
    for (kind, name, status) in kinds {
        assert_eq!(kind.status_name(), name);
        assert_eq!(kind.status(), status);
    }
}

#[test]
fn backends_describe_themselves() {
    let backends = kvps::backends();
    let names: Vec<&str> = backends.iter().map(|b| b.name()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "in name order");

    let memory = backends.iter().find(|b| b.name() == "memory").unwrap();
    assert_eq!(memory.schemes(), ["memory", "test"]);
    assert!(!memory.description().is_empty());
    assert!(memory.capabilities().contains(Capabilities::LIST));
    assert!(!memory.capabilities().contains(Capabilities::PERSISTENT));
    assert_eq!(
        kvps::backend("TEST").as_ref(),
        Some(memory),
        "aliases, any case"
    );
    assert_eq!(kvps::backend("nosuch"), None);
    assert_eq!(kvps::backend("bad\0scheme"), None);

    for backend in &backends {
        assert!(!backend.schemes().is_empty(), "{}", backend.name());
        for option in backend.options() {
            assert!(!option.name().is_empty());
            assert!(!option.description().is_empty(), "{}", option.name());
            assert!(!matches!(option.option_type(), OptionType::Other(_)));
        }
    }
}

#[test]
fn option_types_and_capabilities_print_readably() {
    assert_eq!(OptionType::Secret.name(), "secret");
    assert_eq!(OptionType::Duration.to_string(), "duration");
    let both = Capabilities::RANGE | Capabilities::LIST;
    assert_eq!(format!("{both:?}"), "Capabilities(RANGE | LIST)");
    assert_eq!(
        format!("{:?}", Capabilities::from_bits(1 << 40 | 1)),
        "Capabilities(RANGE | 0x10000000000)"
    );
    assert!(both.contains(Capabilities::LIST) && !both.contains(Capabilities::BATCH));
}

#[test]
fn the_linked_version_is_this_crates() {
    assert_eq!(kvps::version(), kvps_sys::KVPS_VERSION_STRING);
}

#[test]
fn keys_short_and_long_reach_the_library_whole() {
    // Keys under 256 bytes are passed from a stack buffer, longer ones from a CString: both
    // round trip, and a NUL anywhere is the same error either way.
    let store = Store::open("memory://").unwrap();
    for len in [1, 254, 255, 256, 257, 900] {
        let key = "k".repeat(len);
        store.put(&key, key.as_bytes()).unwrap();
        assert_eq!(store.get(&key).unwrap().unwrap(), key.as_bytes());
        assert_eq!(store.stat(&key).unwrap().unwrap().size(), len as u64);
        store.delete(&key).unwrap();
        assert!(store.get(&key).unwrap().is_none());
        for at in [0, len / 2, len] {
            let mut bad = key.clone();
            bad.insert(at, '\0');
            let error = store.put(&bad, "v").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidKey, "{len} {at}");
            assert_eq!(store.get(&bad).unwrap_err().kind(), ErrorKind::InvalidKey);
        }
    }
}
