//! The request: its CGI environment, query and form decoding, its body.

use std::io::Read;

use crate::error::{Error, Result, Status};
use crate::sys;

/// The request being handled, as the gateway passed it (CGI style): the
/// environment (`REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`, `HTTP_*`...)
/// and the body on standard input, read when first asked for.
pub struct Request {
    env: Vec<(String, String)>,
    body: Body,
}

enum Body {
    Unread(Box<dyn Read>),
    Read(Vec<u8>),
    Failed(Error),
}

impl Request {
    /// The request being handled now. Reads the environment through WASI's
    /// `environ_get` (not `std::env`, whose copy in a reactor is the
    /// deploy's), so call it while handling a request, never during
    /// initialization. [`serve`](crate::serve) calls it for you.
    pub fn from_env() -> Request {
        let env = sys::environ()
            .into_iter()
            .filter_map(|kv| {
                let kv = String::from_utf8_lossy(&kv).into_owned();
                let eq = kv.find('=')?;
                Some((kv[..eq].to_string(), kv[eq + 1..].to_string()))
            })
            .collect();
        Request {
            env,
            body: Body::Unread(Box::new(std::io::stdin())),
        }
    }

    /// A request with this environment and body, to try a handler in a
    /// test: `Request::new(&[("REQUEST_METHOD", "GET"), ("PATH_INFO", "/x")], b"")`.
    pub fn new(env: &[(&str, &str)], body: &[u8]) -> Request {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Request {
            env,
            body: Body::Unread(Box::new(std::io::Cursor::new(body.to_vec()))),
        }
    }

    /// The CGI variable `name`, or None.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every CGI variable, in the order the gateway gave them.
    pub fn vars(&self) -> &[(String, String)] {
        &self.env
    }

    /// `REQUEST_METHOD` ("GET" if unset).
    pub fn method(&self) -> &str {
        self.env("REQUEST_METHOD").unwrap_or("GET")
    }

    /// `PATH_INFO`: the decoded path after the route's prefix ("" for the
    /// prefix itself, "/abc" below it).
    pub fn path(&self) -> &str {
        self.env("PATH_INFO").unwrap_or("")
    }

    /// `QUERY_STRING`, still encoded.
    pub fn query_string(&self) -> &str {
        self.env("QUERY_STRING").unwrap_or("")
    }

    /// The request header `name` (case-insensitive), or None. Content-Type
    /// and Content-Length come from `CONTENT_TYPE` and `CONTENT_LENGTH`, the
    /// others from `HTTP_*`.
    pub fn header(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("content-type") {
            return self.env("CONTENT_TYPE");
        }
        if name.eq_ignore_ascii_case("content-length") {
            return self.env("CONTENT_LENGTH");
        }
        let var: String = "HTTP_"
            .chars()
            .chain(name.chars().map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            }))
            .collect();
        self.env(&var)
    }

    /// The decoded query parameters, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        parse_form(self.query_string().as_bytes())
    }

    /// The decoded value of the first query parameter `name`, or None.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The whole body: `CONTENT_LENGTH` bytes, or to the end of input when it
    /// is unset. A body over `max` bytes fails with [`Status::TooLarge`]
    /// without reading past the bound (answer 413). Read once; later calls
    /// return the same bytes.
    pub fn body(&mut self, max: usize) -> Result<&[u8]> {
        if let Body::Unread(input) = &mut self.body {
            let declared = self
                .env
                .iter()
                .find(|(k, _)| k == "CONTENT_LENGTH")
                .map(|(_, v)| v.clone());
            self.body = match read_body(input, declared.as_deref(), max) {
                Ok(b) => Body::Read(b),
                Err(e) => Body::Failed(e),
            };
        }
        match &self.body {
            Body::Read(b) if b.len() > max => Err(Error::new(
                Status::TooLarge,
                format!(
                    "the request body is {} bytes, over the {} asked for",
                    b.len(),
                    max
                ),
            )),
            Body::Read(b) => Ok(b),
            Body::Failed(e) => Err(e.clone()),
            Body::Unread(_) => unreachable!("the body was just read"),
        }
    }

    /// The body decoded as an `application/x-www-form-urlencoded` form (at
    /// most `max` bytes). A request of another Content-Type fails with
    /// [`Status::Invalid`].
    pub fn form(&mut self, max: usize) -> Result<Vec<(String, String)>> {
        let want = "application/x-www-form-urlencoded";
        let ct = self.header("content-type").unwrap_or("").to_string();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case(want) {
            return Err(Error::new(
                Status::Invalid,
                format!("the request's Content-Type is {:?}, not {}", ct, want),
            ));
        }
        Ok(parse_form(self.body(max)?))
    }
}

fn read_body(input: &mut dyn Read, declared: Option<&str>, max: usize) -> Result<Vec<u8>> {
    let limit = match declared.filter(|s| !s.is_empty()) {
        Some(s) => {
            let n: u64 = s.parse().map_err(|_| {
                Error::new(
                    Status::Invalid,
                    format!("CONTENT_LENGTH {:?} is not a number", s),
                )
            })?;
            if n > max as u64 {
                return Err(Error::new(
                    Status::TooLarge,
                    format!(
                        "the request body is {} bytes, over the {} this app accepts",
                        n, max
                    ),
                ));
            }
            n
        }
        None => max as u64 + 1,
    };
    let mut body = Vec::new();
    input
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|e| Error::new(Status::Io, format!("read the request body: {}", e)))?;
    if body.len() > max {
        return Err(Error::new(
            Status::TooLarge,
            format!(
                "the request body is over the {} bytes this app accepts",
                max
            ),
        ));
    }
    Ok(body)
}

/// Decodes `application/x-www-form-urlencoded` text (a query string or a
/// form body): pairs separated by '&', '+' for a space, `%XX` escapes (a
/// malformed escape is kept as is). Bytes that are not UTF-8 after decoding
/// become U+FFFD.
pub fn parse_form(text: &[u8]) -> Vec<(String, String)> {
    text.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            (
                lossy(url_decode(name, true)),
                lossy(url_decode(value, true)),
            )
        })
        .collect()
}

fn lossy(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Decodes `%XX` escapes (and '+' as a space if `plus_space`); a '%' not
/// followed by two hex digits is kept as is.
pub fn url_decode(s: &[u8], plus_space: bool) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' && plus_space { b' ' } else { b });
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FormCase {
        name: &'static str,
        input: &'static [u8],
        want: &'static [(&'static str, &'static str)],
    }

    #[test]
    fn decodes_forms() {
        let cases = [
            FormCase {
                name: "empty",
                input: b"",
                want: &[],
            },
            FormCase {
                name: "plain",
                input: b"a=1&b=2",
                want: &[("a", "1"), ("b", "2")],
            },
            FormCase {
                name: "escapes and plus",
                input: b"q=a+b%20c%2Bd&x%3Dy=%C3%A9",
                want: &[("q", "a b c+d"), ("x=y", "\u{e9}")],
            },
            FormCase {
                name: "no value, empty pairs",
                input: b"&flag&&k=",
                want: &[("flag", ""), ("k", "")],
            },
            FormCase {
                name: "bad escapes kept",
                input: b"p=100%&q=%zz&r=%4",
                want: &[("p", "100%"), ("q", "%zz"), ("r", "%4")],
            },
            FormCase {
                name: "invalid UTF-8",
                input: b"b=%ff",
                want: &[("b", "\u{fffd}")],
            },
        ];
        for c in &cases {
            let want: Vec<(String, String)> = c
                .want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(parse_form(c.input), want, "{}", c.name);
        }
    }

    #[test]
    fn reads_the_request() {
        let mut r = Request::new(
            &[
                ("REQUEST_METHOD", "POST"),
                ("PATH_INFO", "/a b"),
                ("QUERY_STRING", "x=1&y=%41"),
                (
                    "CONTENT_TYPE",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("CONTENT_LENGTH", "7"),
                ("HTTP_AUTHORIZATION", "Bearer t"),
            ],
            b"n=v&m=w and more",
        );
        assert_eq!(r.method(), "POST");
        assert_eq!(r.path(), "/a b");
        assert_eq!(r.query_param("y").as_deref(), Some("A"));
        assert_eq!(r.header("authorization"), Some("Bearer t"));
        assert_eq!(r.header("Content-Length"), Some("7"));
        assert_eq!(r.header("X-Missing"), None);
        assert_eq!(
            r.form(100).unwrap(),
            vec![
                ("n".to_string(), "v".to_string()),
                ("m".to_string(), "w".to_string())
            ]
        );
        assert_eq!(r.body(100).unwrap(), b"n=v&m=w");
        assert_eq!(r.body(3).unwrap_err().status(), Status::TooLarge);
    }

    struct BodyCase {
        name: &'static str,
        content_length: Option<&'static str>,
        input: &'static [u8],
        max: usize,
        want: std::result::Result<&'static [u8], Status>,
    }

    #[test]
    fn bounds_the_body() {
        let cases = [
            BodyCase {
                name: "declared, fits",
                content_length: Some("3"),
                input: b"abcdef",
                max: 10,
                want: Ok(b"abc"),
            },
            BodyCase {
                name: "declared, too large",
                content_length: Some("11"),
                input: b"abcdef",
                max: 10,
                want: Err(Status::TooLarge),
            },
            BodyCase {
                name: "declared, bad",
                content_length: Some("x"),
                input: b"abc",
                max: 10,
                want: Err(Status::Invalid),
            },
            BodyCase {
                name: "to the end, fits",
                content_length: None,
                input: b"abcdef",
                max: 6,
                want: Ok(b"abcdef"),
            },
            BodyCase {
                name: "to the end, too large",
                content_length: None,
                input: b"abcdefg",
                max: 6,
                want: Err(Status::TooLarge),
            },
        ];
        for c in &cases {
            let mut env = vec![("REQUEST_METHOD", "PUT")];
            if let Some(d) = c.content_length {
                env.push(("CONTENT_LENGTH", d));
            }
            let mut r = Request::new(&env, c.input);
            let got = r.body(c.max).map(|b| b.to_vec()).map_err(|e| e.status());
            assert_eq!(got, c.want.map(|b| b.to_vec()), "{}", c.name);
        }
    }
}
