use std::ffi::CString;
use std::fmt;
use std::ops::BitOr;

use kvps_sys as sys;

use crate::raw::{self, BackendRef};

/// What a backend does natively (`KVPS_CAP_*`). Every operation works on every store; where a
/// capability is missing the library supplies a generic fallback.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u64);

impl Capabilities {
    /// Ranges are read without fetching the whole value.
    pub const RANGE: Capabilities = Capabilities(sys::KVPS_CAP_RANGE);
    /// Readers stream in constant memory.
    pub const READ_STREAM: Capabilities = Capabilities(sys::KVPS_CAP_READ_STREAM);
    /// Writers stream in constant memory.
    pub const WRITE_STREAM: Capabilities = Capabilities(sys::KVPS_CAP_WRITE_STREAM);
    /// Listing is supported.
    pub const LIST: Capabilities = Capabilities(sys::KVPS_CAP_LIST);
    /// Batch calls run natively (in parallel or in bulk).
    pub const BATCH: Capabilities = Capabilities(sys::KVPS_CAP_BATCH);
    /// Values outlive the process.
    pub const PERSISTENT: Capabilities = Capabilities(sys::KVPS_CAP_PERSISTENT);
    /// Other processes see the same values.
    pub const SHARED: Capabilities = Capabilities(sys::KVPS_CAP_SHARED);
    /// Blobs are kept and handed back without a copy ([`Blob`](crate::Blob)).
    pub const ZERO_COPY: Capabilities = Capabilities(sys::KVPS_CAP_ZERO_COPY);

    const NAMES: [(Capabilities, &'static str); 8] = [
        (Capabilities::RANGE, "RANGE"),
        (Capabilities::READ_STREAM, "READ_STREAM"),
        (Capabilities::WRITE_STREAM, "WRITE_STREAM"),
        (Capabilities::LIST, "LIST"),
        (Capabilities::BATCH, "BATCH"),
        (Capabilities::PERSISTENT, "PERSISTENT"),
        (Capabilities::SHARED, "SHARED"),
        (Capabilities::ZERO_COPY, "ZERO_COPY"),
    ];

    /// The capabilities of a `KVPS_CAP_*` bit set.
    pub const fn from_bits(bits: u64) -> Capabilities {
        Capabilities(bits)
    }

    /// The `KVPS_CAP_*` bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every capability of `other` is in `self`.
    pub const fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Capabilities {
    type Output = Capabilities;

    fn bitor(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 | other.0)
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = Capabilities::NAMES
            .iter()
            .filter(|(c, _)| self.contains(*c))
            .map(|(_, name)| name.to_string())
            .collect();
        let known = Capabilities::NAMES
            .iter()
            .fold(0, |bits, (c, _)| bits | c.0);
        if self.0 & !known != 0 {
            names.push(format!("{:#x}", self.0 & !known));
        }
        write!(f, "Capabilities({})", names.join(" | "))
    }
}

/// The type of a backend option: how its text value is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionType {
    /// Any text.
    String,
    /// true/false, 1/0, yes/no, on/off (any case).
    Bool,
    /// A decimal integer, optionally signed.
    Integer,
    /// A byte count: 1048576, 512k, 8MiB, 1G.
    Size,
    /// 250ms, 30s, 5m, 1h; a bare number is seconds.
    Duration,
    /// An absolute URL.
    Url,
    /// A string never shown in messages, logs or [`Store::url`](crate::Store::url).
    Secret,
    /// A type added to the library after this crate was written (its number).
    Other(u32),
}

impl OptionType {
    fn from_code(code: sys::kvps_option_type) -> OptionType {
        match code {
            sys::KVPS_OPTION_STRING => OptionType::String,
            sys::KVPS_OPTION_BOOL => OptionType::Bool,
            sys::KVPS_OPTION_INTEGER => OptionType::Integer,
            sys::KVPS_OPTION_SIZE => OptionType::Size,
            sys::KVPS_OPTION_DURATION => OptionType::Duration,
            sys::KVPS_OPTION_URL => OptionType::Url,
            sys::KVPS_OPTION_SECRET => OptionType::Secret,
            other => OptionType::Other(other),
        }
    }

    fn code(self) -> sys::kvps_option_type {
        match self {
            OptionType::String => sys::KVPS_OPTION_STRING,
            OptionType::Bool => sys::KVPS_OPTION_BOOL,
            OptionType::Integer => sys::KVPS_OPTION_INTEGER,
            OptionType::Size => sys::KVPS_OPTION_SIZE,
            OptionType::Duration => sys::KVPS_OPTION_DURATION,
            OptionType::Url => sys::KVPS_OPTION_URL,
            OptionType::Secret => sys::KVPS_OPTION_SECRET,
            OptionType::Other(code) => code,
        }
    }

    /// The library's lowercase name of the type: "string", "bool", "size", ...
    pub fn name(self) -> &'static str {
        raw::option_type_name(self.code())
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One option a backend declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionInfo {
    name: String,
    option_type: OptionType,
    default: Option<String>,
    required: bool,
    description: String,
}

impl OptionInfo {
    /// The option's name (matched case-insensitively).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the value is parsed.
    pub fn option_type(&self) -> OptionType {
        self.option_type
    }

    /// The default, as text, if there is one.
    pub fn default_value(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Whether opening a store fails without this option.
    pub fn required(&self) -> bool {
        self.required
    }

    /// A one-line description.
    pub fn description(&self) -> &str {
        &self.description
    }
}

/// A registered backend, as [`backends`] and [`backend`] describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    name: String,
    description: String,
    schemes: Vec<String>,
    capabilities: Capabilities,
    options: Vec<OptionInfo>,
}

impl Backend {
    fn from_raw(backend: BackendRef) -> Backend {
        Backend {
            name: backend.name(),
            description: backend.description(),
            schemes: backend.schemes(),
            capabilities: Capabilities(backend.capabilities()),
            options: backend
                .options()
                .into_iter()
                .map(|o| OptionInfo {
                    name: o.name(),
                    option_type: OptionType::from_code(o.type_code()),
                    default: o.default_value(),
                    required: o.required(),
                    description: o.description(),
                })
                .collect(),
        }
    }

    /// The backend's name, e.g. "file".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A one-line description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The URL schemes it serves: the primary one first, then aliases.
    pub fn schemes(&self) -> &[String] {
        &self.schemes
    }

    /// What it does natively.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// The options it accepts (in the URL's query or through
    /// [`Store::open_with`](crate::Store::open_with)).
    pub fn options(&self) -> &[OptionInfo] {
        &self.options
    }
}

/// Every registered backend, in name order.
///
/// ```
/// let memory = kvps::backends()
///     .into_iter()
///     .find(|b| b.name() == "memory")
///     .expect("memory is always built in");
/// assert_eq!(memory.schemes()[0], "memory");
/// ```
pub fn backends() -> Vec<Backend> {
    (0..raw::backend_count())
        .filter_map(raw::backend_at)
        .map(Backend::from_raw)
        .collect()
}

/// The backend serving `scheme` (case-insensitive, aliases included), if any.
///
/// ```
/// assert!(kvps::backend("memory").is_some());
/// assert!(kvps::backend("nosuch").is_none());
/// ```
pub fn backend(scheme: &str) -> Option<Backend> {
    let scheme = CString::new(scheme).ok()?;
    raw::backend_find(&scheme).map(Backend::from_raw)
}
