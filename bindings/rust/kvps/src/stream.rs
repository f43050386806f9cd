use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::error::{Error, Result};
use crate::raw::{RawPutOptions, ReaderHandle, WriterHandle};

/// Reads a value (or a range of it) as a stream: `std::io::Read + Seek`.
/// From [`Store::reader`](crate::Store::reader). Positions are offsets in the whole value.
pub struct Reader<'s> {
    handle: ReaderHandle<'s>,
    position: u64,
}

impl<'s> Reader<'s> {
    pub(crate) fn new(handle: ReaderHandle<'s>, offset: u64) -> Reader<'s> {
        Reader {
            handle,
            position: offset,
        }
    }

    /// The size of the whole value (not of the range) when the reader was opened.
    pub fn value_size(&self) -> u64 {
        self.handle.value_size()
    }

    /// The next bytes, at most `max` (at least 1), as a [`Blob`](crate::Blob); `None` at the
    /// end of the range. On a store with
    /// [`Capabilities::ZERO_COPY`](crate::Capabilities::ZERO_COPY) it is a slice of the stored
    /// value, no copy.
    pub fn read_blob(&mut self, max: usize) -> Result<Option<crate::Blob>> {
        let blob = self.handle.read_blob(max)?.map(crate::Blob);
        self.position += blob.as_ref().map_or(0, |b| b.len() as u64);
        Ok(blob)
    }
}

impl Read for Reader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.handle.read(buffer)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for Reader<'_> {
    /// Moves to an offset in the value; reads past the end of the range return nothing.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
            SeekFrom::End(delta) => self.value_size().checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot seek to {to:?} from offset {}", self.position),
            )
        })?;
        self.handle.seek(target)?;
        self.position = target;
        Ok(target)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.position)
    }
}

/// Writes a value as a stream: `std::io::Write`. From [`Store::writer`](crate::Store::writer).
///
/// Nothing is visible until [`commit`](Writer::commit). Dropping the writer without committing
/// (or calling [`abort`](Writer::abort)) discards what was written and leaves the old value.
pub struct Writer<'s> {
    handle: WriterHandle<'s>, // dropped (aborted) before the options its commit writes into
    key: String,
    failed: Option<Error>,
    options: Option<RawPutOptions>,
}

impl<'s> Writer<'s> {
    pub(crate) fn new(handle: WriterHandle<'s>, key: &str) -> Writer<'s> {
        Writer {
            handle,
            key: key.to_string(),
            failed: None,
            options: None,
        }
    }

    pub(crate) fn with_options(
        handle: WriterHandle<'s>,
        key: &str,
        options: RawPutOptions,
    ) -> Writer<'s> {
        Writer {
            options: Some(options),
            ..Writer::new(handle, key)
        }
    }

    /// [`Writer::commit`], returning the etag of the value written for a writer from
    /// [`Store::writer_with`](crate::Store::writer_with) (no extra round trip), `None` for one
    /// from [`Store::writer`](crate::Store::writer). A failed condition of
    /// [`PutOptions`](crate::PutOptions) is an error of kind `PreconditionFailed` here, and
    /// nothing changes.
    pub fn commit_with_etag(mut self) -> Result<Option<String>> {
        let options = self.options.take();
        self.commit()?;
        Ok(options.map(|o| o.etag()))
    }

    /// Makes everything written visible atomically as the key's value. On failure the old
    /// value is left as it was. A writer whose write failed can only be aborted, so committing
    /// it aborts and returns that failure.
    pub fn commit(self) -> Result<()> {
        match self.failed {
            // Dropping the handle aborts it.
            Some(error) => Err(Error::new(
                error.kind(),
                format!(
                    "writer for key {:?} aborted after a failed write: {}",
                    self.key,
                    error.message()
                ),
            )),
            None => self.handle.commit(),
        }
    }

    /// Appends `blob`'s bytes. On a store with
    /// [`Capabilities::ZERO_COPY`](crate::Capabilities::ZERO_COPY) a blob of 64 KiB or more is
    /// kept as it is, not copied. A failed write fails the writer, as for `write`.
    pub fn write_blob(&mut self, blob: &crate::Blob) -> Result<()> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.handle
            .write_blob(&blob.0)
            .inspect_err(|error| self.failed = Some(error.clone()))
    }

    /// Discards everything written and leaves the old value (what dropping does).
    pub fn abort(self) {}
}

impl Write for Writer<'_> {
    /// Appends all of `buffer` (the library copies it) and returns its length.
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        if let Some(error) = &self.failed {
            return Err(error.clone().into());
        }
        match self.handle.write(buffer) {
            Ok(()) => Ok(buffer.len()),
            Err(error) => {
                self.failed = Some(error.clone());
                Err(error.into())
            }
        }
    }

    /// Nothing to do: data is handed to the library on each write and published on commit.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
