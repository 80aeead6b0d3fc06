//! Outbound HTTP (`wisp:http/outgoing-handler@1`). Deny by default: a URL
//! must match the app's `allowed_outbound_hosts`; each request counts toward
//! the request's `outbound_requests` and `outbound_bytes` limits.
//!
//! ```no_run
//! let mut resp = wisp::outbound::get("https://api.example.com/v1/items")?;
//! let status = resp.status()?;
//! let body = resp.read_to_end(1 << 20)?;
//! # Ok::<(), wisp::Error>(())
//! ```

use crate::error::{arg, check, fetch, Error, Result, Status};
use crate::sys;

/// Sends a request and waits for its status and headers; the body is read
/// from the [`IncomingResponse`]. `headers` are name and value pairs.
/// [`Status::Denied`], [`Status::Limit`], [`Status::Timeout`] and
/// [`Status::Unavailable`] say why it was not sent or failed.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<IncomingResponse> {
    let mut lines = String::new();
    for (name, value) in headers {
        if value.contains(&['\r', '\n'][..]) {
            return Err(Error::new(
                Status::Invalid,
                format!("outbound header {}: the value holds a line break", name),
            ));
        }
        lines.push_str(&format!("{}: {}\n", name, value));
    }
    let (m, mn) = arg(method.as_bytes(), "the method")?;
    let (u, un) = arg(url.as_bytes(), "the URL")?;
    let (h, hn) = arg(lines.as_bytes(), "the headers")?;
    let (b, bn) = arg(body, "the body")?;
    let mut handle = 0u32;
    // SAFETY: the pointers and lengths describe the arguments; handle is a
    // live local.
    check(
        unsafe { sys::http_send(m, mn, u, un, h, hn, b, bn, &mut handle) },
        "outbound send",
    )?;
    Ok(IncomingResponse { handle, open: true })
}

/// Sends a GET request.
pub fn get(url: &str) -> Result<IncomingResponse> {
    send("GET", url, &[], b"")
}

/// The response to an outbound request, its body still to read. Dropping it
/// closes it.
#[derive(Debug)]
pub struct IncomingResponse {
    handle: u32,
    open: bool,
}

impl IncomingResponse {
    /// The HTTP status code.
    pub fn status(&self) -> Result<u16> {
        let mut s = 0u32;
        // SAFETY: s is a live local.
        check(
            unsafe { sys::http_status(self.handle, &mut s) },
            "outbound status",
        )?;
        Ok(s as u16)
    }

    /// The first value of header `name` (case-insensitive), or None.
    pub fn header(&self, name: &str) -> Result<Option<String>> {
        let (p, n) = arg(name.as_bytes(), "the header name")?;
        // SAFETY: the closure gets a buffer of cap bytes and a u32 to write.
        match fetch(|buf, cap, len| unsafe { sys::http_header(self.handle, p, n, buf, cap, len) }) {
            Ok(v) => Ok(Some(String::from_utf8_lossy(&v).into_owned())),
            Err(sys::NOT_FOUND) => Ok(None),
            Err(code) => Err(Error::host(code, "outbound header")),
        }
    }

    /// Every header as name and value pairs, names in canonical form.
    pub fn headers(&self) -> Result<Vec<(String, String)>> {
        // SAFETY: the closure gets a buffer of cap bytes and a u32 to write.
        let text = fetch(|buf, cap, len| unsafe { sys::http_headers(self.handle, buf, cap, len) })
            .map_err(|code| Error::host(code, "outbound headers"))?;
        Ok(String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|line| {
                let colon = line.find(':')?;
                Some((
                    line[..colon].to_string(),
                    line[colon + 1..].trim().to_string(),
                ))
            })
            .collect())
    }

    /// Reads up to `buf.len()` bytes of the body; 0 at its end.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let cap = buf.len().min(u32::MAX as usize) as u32;
        let mut n = 0u32;
        // SAFETY: buf has cap writable bytes; n is a live local.
        check(
            unsafe { sys::http_read(self.handle, buf.as_mut_ptr(), cap, &mut n) },
            "outbound read",
        )?;
        Ok(n as usize)
    }

    /// Reads the rest of the body; [`Status::TooLarge`] if it is over `max`
    /// bytes.
    pub fn read_to_end(&mut self, max: usize) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let n = self.read(&mut chunk)?;
            if n == 0 {
                return Ok(body);
            }
            if body.len() + n > max {
                return Err(Error::new(
                    Status::TooLarge,
                    format!("the outbound response's body is over {} bytes", max),
                ));
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }

    /// Closes the response (dropping it does too, ignoring errors).
    pub fn close(mut self) -> Result<()> {
        self.open = false;
        // SAFETY: no pointers.
        check(unsafe { sys::http_close(self.handle) }, "outbound close")
    }
}

impl std::io::Read for IncomingResponse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        IncomingResponse::read(self, buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::Other, e))
    }
}

impl Drop for IncomingResponse {
    fn drop(&mut self) {
        if self.open {
            // SAFETY: no pointers.
            unsafe { sys::http_close(self.handle) };
        }
    }
}
