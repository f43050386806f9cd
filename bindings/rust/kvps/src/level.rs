//! Folder listings, reads into the caller's memory and presigned URLs (issue #15).

use std::collections::VecDeque;
use std::ffi::CString;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::list::Entry;
use crate::store::{c_key, Store};

/// One item of [`Store::list_level`]: a key, or a common prefix ("folder") that stands for
/// every key below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListItem {
    /// A key directly at this level.
    Key(Entry),
    /// A common prefix, e.g. `"photos/2024/"`, listed once.
    Prefix(String),
}

impl ListItem {
    /// The key, or the common prefix.
    pub fn name(&self) -> &str {
        match self {
            ListItem::Key(entry) => entry.key(),
            ListItem::Prefix(prefix) => prefix,
        }
    }
}

fn c_text(text: &str, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid {what} {text:?}: it contains a NUL byte"),
        )
    })
}

/// The iterator of [`Store::list_level`]: pages are fetched as it advances.
pub struct LevelList<'s> {
    store: &'s Store,
    prefix: String,
    delimiter: String,
    start_after: Option<String>,
    cursor: Option<CString>,
    items: VecDeque<ListItem>,
    done: bool,
}

impl LevelList<'_> {
    /// Lists only items strictly after `key` (a key or a prefix seen before).
    pub fn start_after(mut self, key: &str) -> Self {
        self.start_after = Some(key.to_string());
        self
    }

    fn fetch(&mut self) -> Result<()> {
        let prefix = c_text(&self.prefix, "prefix")?;
        let delimiter = c_text(&self.delimiter, "delimiter")?;
        let start_after = self
            .start_after
            .as_deref()
            .map(|s| c_text(s, "start_after"))
            .transpose()?;
        let (entries, prefixes, cursor) = self.store.handle().list_level_page(
            &prefix,
            Some(&delimiter),
            start_after.as_deref(),
            self.cursor.as_deref(),
            0,
        )?;
        let mut keys: VecDeque<ListItem> = entries
            .into_iter()
            .map(|e| ListItem::Key(Entry::from_raw(e)))
            .collect();
        let mut folders: VecDeque<ListItem> = prefixes.into_iter().map(ListItem::Prefix).collect();
        while !keys.is_empty() || !folders.is_empty() {
            let take_key = match (keys.front(), folders.front()) {
                (Some(k), Some(p)) => k.name().as_bytes() < p.name().as_bytes(),
                (Some(_), None) => true,
                _ => false,
            };
            let next = if take_key {
                keys.pop_front()
            } else {
                folders.pop_front()
            };
            self.items.extend(next);
        }
        self.done = cursor.is_none();
        self.cursor = cursor;
        Ok(())
    }
}

impl Iterator for LevelList<'_> {
    type Item = Result<ListItem>;

    fn next(&mut self) -> Option<Result<ListItem>> {
        while self.items.is_empty() && !self.done {
            if let Err(error) = self.fetch() {
                self.done = true;
                return Some(Err(error));
            }
        }
        self.items.pop_front().map(Ok)
    }
}

impl Store {
    /// The keys and common prefixes directly under `prefix`, split at `delimiter` (e.g. `"/"`),
    /// in byte order, fetched a page at a time.
    ///
    /// ```
    /// use kvps::ListItem;
    /// let store = kvps::Store::open("memory://")?;
    /// for key in ["a", "b/1", "b/2", "c"] {
    ///     store.put(key, "")?;
    /// }
    /// let names: Vec<String> = store
    ///     .list_level("", "/")
    ///     .map(|item| item.map(|i| match i {
    ///         ListItem::Key(e) => e.key().to_string(),
    ///         ListItem::Prefix(p) => format!("{p} (folder)"),
    ///     }))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(names, ["a", "b/ (folder)", "c"]);
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn list_level(&self, prefix: &str, delimiter: &str) -> LevelList<'_> {
        LevelList {
            store: self,
            prefix: prefix.to_string(),
            delimiter: delimiter.to_string(),
            start_after: None,
            cursor: None,
            items: VecDeque::new(),
            done: false,
        }
    }

    /// Copies `key`'s value from `offset` into `buffer` without an allocation by the library;
    /// returns the number of bytes copied, or `None` when the key does not exist. A buffer too
    /// small for the rest of the value is an [`ErrorKind::InvalidArgument`] error and nothing
    /// is copied; [`Store::size_needed`] tells the size it takes.
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// store.put("k", "0123456789")?;
    /// let mut buffer = [0u8; 16];
    /// let n = store.get_into("k", 0, &mut buffer)?.unwrap();
    /// assert_eq!(&buffer[..n], b"0123456789");
    /// assert!(store.get_into("k", 0, &mut [0u8; 4]).is_err());
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn get_into(&self, key: &str, offset: u64, buffer: &mut [u8]) -> Result<Option<usize>> {
        let mut needed = 0;
        self.handle()
            .get_into(&c_key(key)?, offset, buffer, &mut needed)
    }

    /// The size `get_into` needs for `key` from `offset`: `Ok(None)` for a missing key.
    pub fn size_needed(&self, key: &str, offset: u64) -> Result<Option<usize>> {
        let mut needed = 0;
        match self
            .handle()
            .get_into(&c_key(key)?, offset, &mut [], &mut needed)
        {
            Ok(found) => Ok(found),
            Err(e) if e.kind() == ErrorKind::InvalidArgument && needed > 0 => Ok(Some(needed)),
            Err(e) => Err(e),
        }
    }

    /// A URL that lets anyone holding it read (`"GET"`) or write (`"PUT"`) `key` until it
    /// expires (1 s to 7 days), without credentials. [`ErrorKind::Unsupported`] on stores
    /// that cannot sign (memory://, file://).
    pub fn presign(&self, key: &str, method: &str, expires: Duration) -> Result<String> {
        let method = c_text(method, "method")?;
        self.handle()
            .presign(&c_key(key)?, &method, expires.as_secs())
    }
}
