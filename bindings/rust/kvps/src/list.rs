use std::collections::VecDeque;
use std::ffi::{CStr, CString};
use std::iter::FusedIterator;
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::raw::StoreHandle;
use crate::system_time;

/// One listed value, from [`Store::list`](crate::Store::list).
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    text: String, // the key, then the etag: one allocation per entry listed
    key_len: usize,
    size: u64,
    modified: Option<SystemTime>,
}

impl Entry {
    pub(crate) fn from_raw(e: crate::raw::RawEntry) -> Entry {
        Entry {
            text: e.text,
            key_len: e.key_len,
            size: e.size,
            modified: (e.mtime_ns != 0).then(|| system_time(e.mtime_ns)),
        }
    }

    /// The value's key.
    pub fn key(&self) -> &str {
        &self.text[..self.key_len]
    }

    /// The key, taken out of the entry.
    pub fn into_key(mut self) -> String {
        self.text.truncate(self.key_len);
        self.text
    }

    /// The value's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// When the value was last written, where the backend can tell cheaply while listing.
    pub fn modified(&self) -> Option<SystemTime> {
        self.modified
    }

    /// The value's etag, where the backend can tell cheaply while listing.
    pub fn etag(&self) -> Option<&str> {
        (self.text.len() > self.key_len).then(|| &self.text[self.key_len..])
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key())
            .field("size", &self.size)
            .field("modified", &self.modified)
            .field("etag", &self.etag())
            .finish()
    }
}

/// One page of a listing, from [`Store::list_page`](crate::Store::list_page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    entries: Vec<Entry>,
    cursor: Option<String>,
}

impl Page {
    /// The entries, in byte order of their keys (possibly none, even before the end).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries, taken out of the page.
    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }

    /// The cursor that fetches the next page, or `None` when the listing is complete. It is
    /// printable text that may be stored and used later with the same store and prefix.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

/// A prefix as a C string; a NUL byte cannot be part of any key.
fn c_prefix(prefix: &str) -> Result<CString> {
    CString::new(prefix).map_err(|_| {
        let message = format!("invalid prefix {prefix:?}: keys cannot contain U+0000");
        Error::new(ErrorKind::InvalidKey, message)
    })
}

/// Fetches one page: its entries and the next page's cursor.
fn fetch(
    store: &StoreHandle,
    prefix: &CStr,
    cursor: Option<&CStr>,
    page_size: usize,
) -> Result<(Vec<Entry>, Option<CString>)> {
    let (entries, cursor) = store.list_page(prefix, cursor, page_size)?;
    let entries = entries.into_iter().map(Entry::from_raw).collect();
    Ok((entries, cursor))
}

pub(crate) fn page(
    store: &StoreHandle,
    prefix: &str,
    cursor: Option<&str>,
    page_size: usize,
) -> Result<Page> {
    let prefix = c_prefix(prefix)?;
    let cursor = cursor.map(c_cursor).transpose()?;
    let (entries, next) = fetch(store, &prefix, cursor.as_deref(), page_size)?;
    Ok(Page {
        entries,
        cursor: next.map(|c| c.to_string_lossy().into_owned()),
    })
}

/// [`page`], as an asynchronous operation (feature `async`).
#[cfg(feature = "async")]
pub(crate) async fn page_async(
    store: &StoreHandle,
    prefix: &str,
    cursor: Option<&str>,
    page_size: usize,
) -> Result<Page> {
    let prefix = c_prefix(prefix)?;
    let cursor = cursor.map(c_cursor).transpose()?;
    let (entries, next) = store
        .list_page_async(&prefix, cursor.as_deref(), page_size)?
        .await?;
    Ok(Page {
        entries: entries.into_iter().map(Entry::from_raw).collect(),
        cursor: next.map(|c| c.to_string_lossy().into_owned()),
    })
}

/// A cursor as a C string.
fn c_cursor(c: &str) -> Result<CString> {
    CString::new(c).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid list cursor {c:?}: it contains a NUL byte"),
        )
    })
}

/// An iterator over the entries under a prefix, in byte order of the keys. It asks the store
/// for one page at a time, resuming from the cursor of the previous page. After an error it
/// ends.
pub struct List<'s> {
    store: &'s StoreHandle,
    prefix: CString,
    page_size: usize,
    cursor: Option<CString>,
    entries: VecDeque<Entry>,
    error: Option<Error>,
    done: bool,
}

impl<'s> List<'s> {
    pub(crate) fn new(store: &'s StoreHandle, prefix: &str) -> List<'s> {
        let (prefix, error) = match c_prefix(prefix) {
            Ok(prefix) => (prefix, None),
            Err(error) => (CString::default(), Some(error)),
        };
        List {
            store,
            prefix,
            page_size: 0,
            cursor: None,
            entries: VecDeque::new(),
            done: error.is_some(),
            error,
        }
    }

    /// Fetches pages of up to `size` entries (0, the default, lets the backend choose).
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// for i in 0..5 {
    ///     store.put(&format!("k{i}"), "")?;
    /// }
    /// assert_eq!(store.list("").page_size(2).count(), 5);
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn page_size(mut self, size: usize) -> List<'s> {
        self.page_size = size;
        self
    }

    fn fetch_page(&mut self) -> Result<()> {
        let (entries, cursor) = fetch(
            self.store,
            &self.prefix,
            self.cursor.as_deref(),
            self.page_size,
        )?;
        self.entries.extend(entries);
        self.done = cursor.is_none();
        self.cursor = cursor;
        Ok(())
    }
}

impl Iterator for List<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            if let Some(entry) = self.entries.pop_front() {
                return Some(Ok(entry));
            }
            if let Some(error) = self.error.take() {
                return Some(Err(error));
            }
            if self.done {
                return None;
            }
            if let Err(error) = self.fetch_page() {
                self.done = true;
                return Some(Err(error));
            }
        }
    }
}

impl FusedIterator for List<'_> {}
