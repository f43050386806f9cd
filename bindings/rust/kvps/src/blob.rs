use std::fmt;
use std::ops::Deref;

use crate::error::Result;
use crate::raw::BlobHandle;

/// An immutable block of bytes with shared ownership: what [`Store::put_blob`] takes and
/// [`Store::get_blob`] returns. Cloning shares the bytes (no copy), and a `Blob` may be sent to
/// and used from any thread.
///
/// On a store with [`Capabilities::ZERO_COPY`](crate::Capabilities::ZERO_COPY) (`memory://`) a
/// blob that is put is kept as it is and a get hands the stored blob back, so a value of any
/// size goes in and out in constant time; [`Writer::write_blob`](crate::Writer::write_blob)
/// and [`Reader::read_blob`](crate::Reader::read_blob) do the same for streams. On every other
/// store the bytes are written and read as [`Store::put`] and [`Store::get`] do.
///
/// ```
/// let store = kvps::Store::open("memory://")?;
/// let blob = kvps::Blob::from(vec![7u8; 1 << 20]); // takes the Vec's buffer: no copy
/// store.put_blob("big", &blob)?;
/// let back = store.get_blob("big")?.unwrap();
/// assert_eq!(back.as_ptr(), blob.as_ptr()); // the very same bytes
/// assert_eq!(&back[..3], &[7, 7, 7]);
/// # Ok::<(), kvps::Error>(())
/// ```
///
/// [`Store::put_blob`]: crate::Store::put_blob
/// [`Store::get_blob`]: crate::Store::get_blob
/// [`Store::put`]: crate::Store::put
/// [`Store::get`]: crate::Store::get
#[derive(Clone)]
pub struct Blob(pub(crate) BlobHandle);

impl Blob {
    /// A blob of `value`'s buffer, without a copy (the blob owns the Vec from now on).
    pub fn try_from_vec(value: Vec<u8>) -> Result<Blob> {
        Ok(Blob(BlobHandle::from_vec(value)?))
    }

    /// A blob over static bytes, without a copy.
    pub fn from_static(value: &'static [u8]) -> Blob {
        Blob(BlobHandle::from_static(value).unwrap_or_else(|e| panic!("kvps_blob_wrap: {e}")))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl From<Vec<u8>> for Blob {
    /// Takes the Vec's buffer, without a copy. Panics only when the library is out of memory.
    fn from(value: Vec<u8>) -> Blob {
        Blob::try_from_vec(value).unwrap_or_else(|e| panic!("kvps_blob_wrap: {e}"))
    }
}

impl From<&[u8]> for Blob {
    /// Copies the bytes once, into a blob of their own.
    fn from(value: &[u8]) -> Blob {
        Blob::from(value.to_vec())
    }
}

impl From<String> for Blob {
    fn from(value: String) -> Blob {
        Blob::from(value.into_bytes())
    }
}

impl Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Blob {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Blob {}

impl PartialEq<[u8]> for Blob {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.len())
    }
}
