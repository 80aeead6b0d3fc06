//! Variables and secrets (`wisp:config/store@1`).

use crate::error::{arg, fetch, Error, Result, Status};
use crate::sys;

/// The value of the variable `name` (declared in wisp.toml's `[variables]`,
/// set with `wisp config set` or `wisp secret set`), or None if it has no
/// value and no default; [`Status::Denied`] if the app does not declare
/// it. Never log or print a secret's value.
pub fn var(name: &str) -> Result<Option<String>> {
    let (p, n) = arg(name.as_bytes(), "the variable name")?;
    // SAFETY: the closure gets a buffer of cap bytes and a u32 to write.
    match fetch(|buf, cap, len| unsafe { sys::config_get(p, n, buf, cap, len) }) {
        Ok(v) => String::from_utf8(v)
            .map(Some)
            .map_err(|_| Error::new(Status::Invalid, format!("variable {} is not UTF-8", name))),
        Err(sys::NOT_FOUND) => Ok(None),
        Err(code) => Err(Error::host(code, "config get")),
    }
}
