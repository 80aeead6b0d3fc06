//! Errors: the status a host call answered and the message that explains it.

use std::fmt;

use crate::sys;

/// What kind of failure an [`Error`] is: the guest ABI's status codes
/// (docs/guest-abi.md), then the SDK's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// No such key, variable or header (1).
    NotFound,
    /// The app may not do this: a store or variable wisp.toml does not
    /// declare, an outbound URL `allowed_outbound_hosts` does not allow (3).
    Denied,
    /// A malformed argument: an empty or over-long key, a bad URL or header (4).
    Invalid,
    /// A limit was reached: a value's size, keys in a store, operations or
    /// outbound requests per request (5).
    Limit,
    /// The backend or the network failed; the same call may succeed later (6).
    Unavailable,
    /// An outbound call ran out of time (7).
    Timeout,
    /// A pointer outside linear memory: a bug in the SDK (8).
    Fault,
    /// A compare-and-swap raced with other writers too many times (9).
    Conflict,
    /// A code this SDK does not know (a newer host).
    Other(i32),
    /// The request body (or an outbound response read whole) is over the
    /// bound the app gave. The SDK's own.
    TooLarge,
    /// Reading stdin or writing stdout failed. The SDK's own.
    Io,
}

impl Status {
    /// The status of an ABI code (not OK or BUFFER_TOO_SMALL, which the SDK
    /// handles itself).
    pub fn from_code(code: i32) -> Status {
        match code {
            1 => Status::NotFound,
            3 => Status::Denied,
            4 => Status::Invalid,
            5 => Status::Limit,
            6 => Status::Unavailable,
            7 => Status::Timeout,
            8 => Status::Fault,
            9 => Status::Conflict,
            other => Status::Other(other),
        }
    }

    /// The ABI code (1 to 9); -1 for TooLarge and -2 for Io, which never
    /// come from the host.
    pub fn code(self) -> i32 {
        match self {
            Status::NotFound => 1,
            Status::Denied => 3,
            Status::Invalid => 4,
            Status::Limit => 5,
            Status::Unavailable => 6,
            Status::Timeout => 7,
            Status::Fault => 8,
            Status::Conflict => 9,
            Status::Other(c) => c,
            Status::TooLarge => -1,
            Status::Io => -2,
        }
    }

    fn name(self) -> String {
        match self {
            Status::NotFound => "not found".into(),
            Status::Denied => "denied".into(),
            Status::Invalid => "invalid".into(),
            Status::Limit => "limit reached".into(),
            Status::Unavailable => "unavailable".into(),
            Status::Timeout => "timeout".into(),
            Status::Fault => "fault".into(),
            Status::Conflict => "conflict".into(),
            Status::Other(c) => format!("status {}", c),
            Status::TooLarge => "too large".into(),
            Status::Io => "i/o error".into(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A failed call: its [`Status`] and a message saying what was wrong and
/// what to fix, the host's (from `wisp:host/error@1.last`) or the SDK's.
/// The message never holds a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error with this status and message.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    /// The error of a host call that answered `code`: the host's message
    /// for it, or, if it left none, "`what` failed: `status`".
    pub(crate) fn host(code: i32, what: &str) -> Error {
        let status = Status::from_code(code);
        // A NOT_FOUND may leave no message, so last would be an older one.
        let message = if status == Status::NotFound {
            None
        } else {
            last_message()
        };
        let message = message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("{} failed: {}", what, status));
        Error { status, message }
    }

    /// What kind of failure this is.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The message, without the status.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a [`Status::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.status == Status::NotFound
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(Status::Io, e.to_string())
    }
}

/// A `Result` whose error is the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The host's message for this instance's last failed call.
fn last_message() -> Option<String> {
    // SAFETY: the closure hands last a buffer of cap bytes and a u32 to write.
    fetch(|buf, cap, len| unsafe { sys::last(buf, cap, len) })
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Calls a host function that writes a result of unknown size, first with
/// a buffer of 256 bytes, then with one as large as the host asks for
/// (BUFFER_TOO_SMALL). Returns the bytes, or the status of a failure.
pub(crate) fn fetch(
    call: impl FnMut(*mut u8, u32, *mut u32) -> i32,
) -> std::result::Result<Vec<u8>, i32> {
    fetch_with(256, call)
}

/// [`fetch`], starting with a buffer of `cap` bytes.
pub(crate) fn fetch_with(
    mut cap: usize,
    mut call: impl FnMut(*mut u8, u32, *mut u32) -> i32,
) -> std::result::Result<Vec<u8>, i32> {
    loop {
        let mut buf = vec![0u8; cap];
        let mut len: u32 = 0;
        let st = call(buf.as_mut_ptr(), cap as u32, &mut len);
        let need = len as usize;
        if st == sys::OK && need <= cap {
            buf.truncate(need);
            return Ok(buf);
        }
        if st != sys::BUFFER_TOO_SMALL || need <= cap {
            return Err(if st == sys::OK { 8 } else { st });
        }
        cap = need;
    }
}

/// Turns a host status into a result.
pub(crate) fn check(code: i32, what: &str) -> Result<()> {
    if code == sys::OK {
        Ok(())
    } else {
        Err(Error::host(code, what))
    }
}

/// A pointer and length for a byte string; the length must fit in u32.
pub(crate) fn arg(b: &[u8], what: &str) -> Result<(*const u8, u32)> {
    if b.len() > u32::MAX as usize {
        return Err(Error::new(Status::Limit, format!("{} is over 4 GiB", what)));
    }
    Ok((b.as_ptr(), b.len() as u32))
}
