//! What this binding itself maps of the C contract: the rows of docs/BINDINGS.md, and no
//! stale message (issue 12, point 1). The core rules themselves are the C conformance suite's.

use std::ffi::CStr;

use kvps::{ErrorKind, Store};

#[test]
fn not_found_after_a_failure_carries_no_stale_message() {
    let store = Store::open("memory://").unwrap();
    assert_eq!(
        store.put("bad\u{1}", "v").unwrap_err().kind(),
        ErrorKind::InvalidKey
    );
    assert_eq!(store.get("missing").unwrap(), None);
    // SAFETY: never NULL, valid until this thread's next kvps call.
    let message = unsafe { CStr::from_ptr(kvps_sys::kvps_last_error()) };
    assert_eq!(message.to_str().unwrap(), "");
}

#[test]
fn a_nul_in_one_batch_key_refuses_the_whole_call() {
    let store = Store::open("memory://").unwrap();
    let results = store.put_many([("a", "1"), ("b\0c", "2")]);
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap_err().kind() == ErrorKind::InvalidKey));
    assert_eq!(store.get("a").unwrap(), None, "no item ran");
}
