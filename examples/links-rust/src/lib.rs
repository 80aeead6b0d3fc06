//! links-rust: a link shortener in Rust on the Wisp guest SDK (guest/rust).
//!
//! Routes (PATH_INFO is the part of the path after /links-rust):
//!
//! ```text
//! GET  /links-rust             {"greeting": <variable greeting>, "links": [codes...]}
//! PUT  /links-rust/CODE        body: the target URL; needs Authorization: Bearer <secret admin_token>
//! GET  /links-rust/CODE        302 to the URL, counting the hit (HEAD: not counted)
//! GET  /links-rust/CODE/stats  {"code", "url", "hits"}
//! GET  /links-rust/CODE/check  fetches the URL through outbound HTTP: {"code", "status", "bytes"}
//! ```
//!
//! Links live in the key-value store "default" under "rust:link:CODE", hits
//! under "rust:hits:CODE" (the prefix lets the other languages' links apps
//! share the store). The module is a reactor: `wisp::reactor!` exports
//! `wisp_handle`, and the SDK writes the response the handler returns.

use wisp::{json_string, KvStore, Request, Response, Status};

const APP: &str = "links-rust";
const LINK_PREFIX: &str = "rust:link:";
const HITS_PREFIX: &str = "rust:hits:";
const MAX_URL: usize = 4096;

wisp::reactor!(handle);

/// Serves one request; a failed service call becomes a 500 with its message.
fn handle(req: &mut Request) -> wisp::Result<Response> {
    Ok(route(req).unwrap_or_else(|e| error(500, e.message())))
}

fn route(req: &mut Request) -> wisp::Result<Response> {
    let path = req.path().to_string();
    let path = path.strip_prefix('/').unwrap_or(&path);
    // HEAD is answered as GET (the gateway drops the body), without counting a hit.
    let head = req.method() == "HEAD";
    let method = if head {
        "GET".to_string()
    } else {
        req.method().to_string()
    };
    let store = KvStore::open("default")?;
    if path.is_empty() {
        if method != "GET" {
            return Ok(error(405, "use GET").with_header("Allow", "GET, HEAD"));
        }
        return list(&store);
    }
    if method == "PUT" {
        return save(req, &store, path);
    }
    if method != "GET" {
        return Ok(
            error(405, "use GET, or PUT to save a link").with_header("Allow", "GET, HEAD, PUT")
        );
    }
    let (code, action) = match path.find('/') {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, ""),
    };
    match action {
        "" => follow(&store, code, !head),
        "/stats" => stats(&store, code),
        "/check" => check(&store, code),
        _ => Ok(error(
            404,
            "no such page: use /CODE, /CODE/stats or /CODE/check",
        )),
    }
}

fn error(status: u16, message: &str) -> Response {
    Response::json(status, format!("{{\"error\":{}}}", json_string(message)))
}

fn list(store: &KvStore) -> wisp::Result<Response> {
    let greeting = wisp::var("greeting")?.unwrap_or_default();
    let codes: Vec<String> = store
        .keys(LINK_PREFIX)?
        .iter()
        .map(|k| json_string(&k[LINK_PREFIX.len()..]))
        .collect();
    Ok(Response::json(
        200,
        format!(
            "{{\"greeting\":{},\"links\":[{}]}}",
            json_string(&greeting),
            codes.join(",")
        ),
    ))
}

fn save(req: &mut Request, store: &KvStore, code: &str) -> wisp::Result<Response> {
    let token = match wisp::var("admin_token")? {
        Some(t) if !t.is_empty() => t,
        _ => {
            let msg = format!(
                "set the admin_token secret: wisp secret set {} admin_token",
                APP
            );
            return Ok(error(503, &msg));
        }
    };
    let given = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "));
    if !given.map_or(false, |t| same(t.as_bytes(), token.as_bytes())) {
        return Ok(error(401, "unauthorized"));
    }
    if !valid_code(code) {
        return Ok(error(400, "a code is 1 to 64 letters, digits, '_' or '-'"));
    }
    let body = match req.body(MAX_URL) {
        Ok(b) => b.to_vec(),
        Err(e) if e.status() == Status::TooLarge => {
            return Ok(error(413, "the URL is over 4096 bytes"))
        }
        Err(e) => return Ok(error(400, e.message())),
    };
    let url = match String::from_utf8(body) {
        Ok(s) if valid_url(s.trim()) => s.trim().to_string(),
        _ => {
            return Ok(error(
                400,
                "the body must be the target URL, starting with http:// or https://",
            ))
        }
    };
    store.set(&format!("{}{}", LINK_PREFIX, code), &url)?;
    wisp::log::info("link saved", &[("code", code)]);
    Ok(Response::json(
        201,
        format!(
            "{{\"code\":{},\"url\":{}}}",
            json_string(code),
            json_string(&url)
        ),
    ))
}

/// The URL of code, or the 404 to answer.
fn link(store: &KvStore, code: &str) -> wisp::Result<Result<String, Response>> {
    let url = if valid_code(code) {
        store.get_string(&format!("{}{}", LINK_PREFIX, code))?
    } else {
        None
    };
    Ok(url.ok_or_else(|| error(404, &format!("no link {}", code))))
}

/// Redirects to code's URL, counting the hit unless `count` is false (HEAD).
fn follow(store: &KvStore, code: &str, count: bool) -> wisp::Result<Response> {
    let url = match link(store, code)? {
        Ok(url) => url,
        Err(not_found) => return Ok(not_found),
    };
    if !count {
        return Ok(Response::redirect(302, &url));
    }
    if let Err(e) = store.increment(&format!("{}{}", HITS_PREFIX, code), 1) {
        wisp::log::warn("hit not counted", &[("code", code), ("error", e.message())]);
    }
    Ok(Response::redirect(302, &url))
}

fn stats(store: &KvStore, code: &str) -> wisp::Result<Response> {
    let url = match link(store, code)? {
        Ok(url) => url,
        Err(not_found) => return Ok(not_found),
    };
    let hits: i64 = store
        .get_string(&format!("{}{}", HITS_PREFIX, code))?
        .and_then(|h| h.parse().ok())
        .unwrap_or(0);
    Ok(Response::json(
        200,
        format!(
            "{{\"code\":{},\"url\":{},\"hits\":{}}}",
            json_string(code),
            json_string(&url),
            hits
        ),
    ))
}

fn check(store: &KvStore, code: &str) -> wisp::Result<Response> {
    let url = match link(store, code)? {
        Ok(url) => url,
        Err(not_found) => return Ok(not_found),
    };
    let counted = wisp::outbound::get(&url).and_then(|mut resp| {
        let status = resp.status()?;
        let mut buf = vec![0u8; 16 * 1024];
        let mut total: u64 = 0;
        loop {
            let n = resp.read(&mut buf)?;
            if n == 0 {
                return Ok((status, total));
            }
            total += n as u64;
        }
    });
    match counted {
        Ok((status, bytes)) => Ok(Response::json(
            200,
            format!(
                "{{\"code\":{},\"status\":{},\"bytes\":{}}}",
                json_string(code),
                status,
                bytes
            ),
        )),
        Err(e) => Ok(error(502, e.message())),
    }
}

fn valid_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An http or https URL without spaces or control characters.
fn valid_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && url.bytes().all(|b| b > b' ' && b != 0x7f)
}

/// Compares in time that depends on the lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_codes_and_urls() {
        let codes = [
            ("abc", true),
            ("A-b_9", true),
            ("", false),
            ("bad!code", false),
            ("a/b", false),
        ];
        for (code, want) in codes {
            assert_eq!(valid_code(code), want, "code {:?}", code);
        }
        assert!(valid_code(&"x".repeat(64)));
        assert!(!valid_code(&"x".repeat(65)));
        let urls = [
            ("http://127.0.0.1:8080/page", true),
            ("https://example.com", true),
            ("ftp://example.com", false),
            ("http://a b", false),
            ("javascript:alert(1)", false),
        ];
        for (url, want) in urls {
            assert_eq!(valid_url(url), want, "url {:?}", url);
        }
        assert!(same(b"token", b"token"));
        assert!(!same(b"token", b"tokex"));
        assert!(!same(b"token", b"token2"));
    }

    #[test]
    fn a_failed_service_answers_500_with_its_message() {
        // Natively every service is unavailable: opening the store fails.
        let mut req = Request::new(&[("REQUEST_METHOD", "DELETE"), ("PATH_INFO", "")], b"");
        let resp = handle(&mut req).unwrap();
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert!(String::from_utf8_lossy(resp.body()).contains("only in a wasm32 module"));
    }
}
