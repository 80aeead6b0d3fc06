//! The response, and serving a request with a handler.

use std::io::Write;

use crate::error::{Error, Result, Status};
use crate::request::Request;

/// An HTTP response, built in memory and written whole by
/// [`serve`]: a handler returns one, so it cannot forget to send or flush
/// it.
///
/// ```
/// let r = wisp::Response::json(201, r#"{"ok":true}"#).with_header("Cache-Control", "no-store");
/// assert_eq!(r.status(), 201);
/// assert_eq!(r.header("content-type"), Some("application/json"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// An empty response with this status (200 to 599).
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `text/plain; charset=utf-8` response.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(body.into())
    }

    /// An `application/json` response; `body` is the JSON text (see
    /// [`json_string`] for quoting strings inside it).
    pub fn json(status: u16, body: impl Into<String>) -> Response {
        Response::new(status)
            .with_header("Content-Type", "application/json")
            .with_body(body.into())
    }

    /// A redirect (301, 302, 303, 307 or 308) to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        Response::new(status).with_header("Location", location)
    }

    /// Sets header `name` to `value`, replacing earlier values of that name
    /// (case-insensitive). A name that is not an HTTP token, the name
    /// Status, or a value with CR, LF or NUL makes [`serve`] answer 500
    /// instead (and say why in the app's log).
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.add_header(name, value)
    }

    /// Adds a header line, keeping earlier ones of that name (Set-Cookie).
    pub fn add_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of header `name` (case-insensitive), or None.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The response as CGI output: "Status: NNN", the headers (with a
    /// Content-Type of text/plain; charset=utf-8 if the body is not empty
    /// and none was set), a blank line and the body. Fails with
    /// [`Status::Invalid`] for a status outside 200 to 599 or a bad header.
    pub fn to_cgi(&self) -> Result<Vec<u8>> {
        if !(200..=599).contains(&self.status) {
            return Err(Error::new(
                Status::Invalid,
                format!("status {}: use a code from 200 to 599", self.status),
            ));
        }
        let mut out = format!("Status: {}\n", self.status).into_bytes();
        for (name, value) in &self.headers {
            if name.is_empty() || !name.bytes().all(token_byte) {
                return Err(Error::new(
                    Status::Invalid,
                    format!("response header name {:?}: use letters, digits and -", name),
                ));
            }
            if name.eq_ignore_ascii_case("status") {
                return Err(Error::new(
                    Status::Invalid,
                    "set the status with Response::new, not as a header",
                ));
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::new(
                    Status::Invalid,
                    format!(
                        "response header {}: the value holds a line break or NUL",
                        name
                    ),
                ));
            }
            out.extend_from_slice(format!("{}: {}\n", name, value).as_bytes());
        }
        if self.header("content-type").is_none() && !self.body.is_empty() {
            out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\n");
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        Ok(out)
    }
}

fn token_byte(b: u8) -> bool {
    b > b' ' && b < 0x7f && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}

/// `s` as a JSON string: quoted, with '"', '\\' and control characters
/// escaped.
///
/// ```
/// assert_eq!(wisp::json_string("a \"b\"\n"), r#""a \"b\"\n""#);
/// ```
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Serves the request being handled with `handler` and writes its response
/// to standard output, flushed, whatever the handler did: an `Err` becomes
/// a 500 (its message goes to standard error, the app's log, not to the
/// client), as does a response [`Response::to_cgi`] refuses.
///
/// In a command, call it from `main`; in a reactor, [`reactor!`](crate::reactor)
/// calls it from the exported `wisp_handle`. Do not write to standard
/// output yourself (`println!`): that would come before the response.
pub fn serve<F>(handler: F)
where
    F: FnOnce(&mut Request) -> Result<Response>,
{
    let mut req = Request::from_env();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut log = stderr.lock();
    if serve_request(&mut req, handler, &mut out, &mut log).is_err() {
        // Nothing more can be said on stdout; the log has the reason.
        let _ = log.flush();
    }
}

/// The body of [`serve`], on any request and streams, for tests: runs
/// `handler` on `req`, writes the CGI response to `out` and flushes it;
/// messages about a failed handler or response go to `log`. Fails only if
/// `out` does.
pub fn serve_request<F>(
    req: &mut Request,
    handler: F,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<()>
where
    F: FnOnce(&mut Request) -> Result<Response>,
{
    let cgi = match handler(req) {
        Ok(resp) => resp.to_cgi(),
        Err(e) => Err(e),
    };
    let cgi = cgi.unwrap_or_else(|e| {
        let _ = writeln!(log, "wisp: answered 500: {}", e);
        b"Status: 500\nContent-Type: text/plain; charset=utf-8\n\ninternal error (see the app's log)\n".to_vec()
    });
    out.write_all(&cgi)?;
    out.flush()?;
    Ok(())
}

/// Makes this crate (a `cdylib`) a reactor: it exports `wisp_handle`, which
/// serves each request with the handler given, a
/// `fn(&mut wisp::Request) -> wisp::Result<wisp::Response>`.
///
/// ```ignore
/// fn handle(req: &mut wisp::Request) -> wisp::Result<wisp::Response> {
///     Ok(wisp::Response::text(200, format!("hello from {}\n", req.path())))
/// }
/// wisp::reactor!(handle);
/// ```
#[macro_export]
macro_rules! reactor {
    ($handler:path) => {
        #[no_mangle]
        pub extern "C" fn wisp_handle() {
            $crate::serve($handler)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(handler: impl FnOnce(&mut Request) -> Result<Response>) -> (String, String) {
        let mut req = Request::new(&[("REQUEST_METHOD", "GET")], b"");
        let (mut out, mut log) = (Vec::new(), Vec::new());
        serve_request(&mut req, handler, &mut out, &mut log).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(log).unwrap(),
        )
    }

    #[test]
    fn writes_cgi() {
        let cases: Vec<(&str, Result<Response>, &str, &str)> = vec![
            (
                "json",
                Ok(Response::json(201, "{}")),
                "Status: 201\nContent-Type: application/json\n\n{}",
                "",
            ),
            (
                "default type",
                Ok(Response::new(200).with_body("hi")),
                "Status: 200\nContent-Type: text/plain; charset=utf-8\n\nhi",
                "",
            ),
            (
                "redirect",
                Ok(Response::redirect(302, "http://x/")),
                "Status: 302\nLocation: http://x/\n\n",
                "",
            ),
            (
                "replaced header",
                Ok(Response::new(204)
                    .with_header("X-A", "1")
                    .with_header("x-a", "2")
                    .add_header("X-B", "3")
                    .add_header("X-B", "4")),
                "Status: 204\nx-a: 2\nX-B: 3\nX-B: 4\n\n",
                "",
            ),
            (
                "handler error",
                Err(Error::new(Status::Denied, "store \"x\" is not declared")),
                "Status: 500\nContent-Type: text/plain; charset=utf-8\n\ninternal error (see the app's log)\n",
                "wisp: answered 500: store \"x\" is not declared\n",
            ),
            (
                "header injection",
                Ok(Response::new(200).with_header("X-A", "a\nStatus: 200")),
                "Status: 500\n",
                "line break",
            ),
            ("bad status", Ok(Response::new(100)), "Status: 500\n", "status 100"),
            (
                "bad name",
                Ok(Response::new(200).with_header("X A", "1")),
                "Status: 500\n",
                "header name",
            ),
        ];
        for (name, result, want_out, want_log) in cases {
            let (out, log) = served(|_| result);
            assert!(
                out.starts_with(want_out),
                "{}: out {:?}, want {:?}",
                name,
                out,
                want_out
            );
            assert!(
                log.contains(want_log),
                "{}: log {:?}, want {:?}",
                name,
                log,
                want_log
            );
        }
    }

    #[test]
    fn quotes_json() {
        assert_eq!(json_string("plain"), "\"plain\"");
        assert_eq!(
            json_string("q\"b\\s\u{1}\u{e9}"),
            "\"q\\\"b\\\\s\\u0001\u{e9}\""
        );
    }
}
