//! Logging with levels and fields (`wisp:logging/logging@1`): one entry in
//! the app's log (`wisp logs APP`) and the node's structured log.
//!
//! ```
//! wisp::log::info("link saved", &[("code", "abc")]);
//! ```

use crate::error::{arg, check, Result};
use crate::sys;

/// A log level, numbered as wasi:logging's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

/// Writes one entry: `context` is a short component name (may be empty),
/// `fields` key and value pairs. At most 1,000 entries per request; a
/// message or field over 4 KiB is cut.
pub fn log(level: Level, context: &str, msg: &str, fields: &[(&str, &str)]) -> Result<()> {
    let mut encoded = Vec::new();
    for (k, v) in fields {
        encoded.extend_from_slice(k.as_bytes());
        encoded.push(0);
        encoded.extend_from_slice(v.as_bytes());
        encoded.push(0);
    }
    let (c, cn) = arg(context.as_bytes(), "the log context")?;
    let (m, mn) = arg(msg.as_bytes(), "the log message")?;
    let (f, fn_) = arg(&encoded, "the log fields")?;
    // SAFETY: the pointers and lengths describe context, msg and encoded.
    check(
        unsafe { sys::log(level as u32, c, cn, m, mn, f, fn_) },
        "log",
    )
}

/// Writes an entry at `level`; if the host refuses it, writes the entry and
/// the reason to standard error (the app's log) instead.
fn emit(level: Level, msg: &str, fields: &[(&str, &str)]) {
    if let Err(e) = log(level, "", msg, fields) {
        let mut line = format!("{:?}: {}", level, msg);
        for (k, v) in fields {
            line.push_str(&format!(" {}={}", k, v));
        }
        eprintln!("{} (the logging service refused it: {})", line, e);
    }
}

/// Logs at trace level.
pub fn trace(msg: &str, fields: &[(&str, &str)]) {
    emit(Level::Trace, msg, fields)
}

/// Logs at debug level.
pub fn debug(msg: &str, fields: &[(&str, &str)]) {
    emit(Level::Debug, msg, fields)
}

/// Logs at info level.
pub fn info(msg: &str, fields: &[(&str, &str)]) {
    emit(Level::Info, msg, fields)
}

/// Logs at warn level.
pub fn warn(msg: &str, fields: &[(&str, &str)]) {
    emit(Level::Warn, msg, fields)
}

/// Logs at error level.
pub fn error(msg: &str, fields: &[(&str, &str)]) {
    emit(Level::Error, msg, fields)
}

/// Logs at critical level.
pub fn critical(msg: &str, fields: &[(&str, &str)]) {
    emit(Level::Critical, msg, fields)
}
