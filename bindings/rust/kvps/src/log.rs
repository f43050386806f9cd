use std::sync::Arc;

use kvps_sys as sys;

use crate::raw;

/// How much the library logs: each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Failures.
    Error,
    /// Warnings, e.g. a retried request.
    Warn,
    /// One line per store operation: op, key, status, bytes, duration.
    Info,
    /// One line per backend request, e.g. an HTTP method, path and status.
    Debug,
}

impl LogLevel {
    fn code(self) -> sys::kvps_log_level {
        match self {
            LogLevel::Error => sys::KVPS_LOG_ERROR,
            LogLevel::Warn => sys::KVPS_LOG_WARN,
            LogLevel::Info => sys::KVPS_LOG_INFO,
            LogLevel::Debug => sys::KVPS_LOG_DEBUG,
        }
    }

    fn from_code(code: sys::kvps_log_level) -> LogLevel {
        match code {
            sys::KVPS_LOG_ERROR => LogLevel::Error,
            sys::KVPS_LOG_WARN => LogLevel::Warn,
            sys::KVPS_LOG_INFO => LogLevel::Info,
            _ => LogLevel::Debug,
        }
    }
}

/// Sends the library's log lines at `max_level` and below to `logger`, process-wide,
/// replacing any previous logger. Lines never contain secrets.
///
/// The logger runs on whatever thread did the work, inside the library's call: keep it
/// short, and do not call [`set_logger`] or [`clear_logger`] from it. A panic in it is caught
/// and the line dropped.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let sink = lines.clone();
/// kvps::set_logger(kvps::LogLevel::Info, move |_level, line| {
///     sink.lock().unwrap().push(line.to_string())
/// });
/// kvps::Store::open("memory://")?.put("logged", "x")?;
/// kvps::clear_logger();
/// assert!(lines.lock().unwrap().iter().any(|l| l.contains("logged")));
/// # Ok::<(), kvps::Error>(())
/// ```
pub fn set_logger<F>(max_level: LogLevel, logger: F)
where
    F: Fn(LogLevel, &str) + Send + Sync + 'static,
{
    let forward = move |level, line: &str| logger(LogLevel::from_code(level), line);
    raw::set_logger(Some(Arc::new(forward)), max_level.code());
}

/// Turns logging off (the default).
pub fn clear_logger() {
    raw::set_logger(None, sys::KVPS_LOG_ERROR);
}
