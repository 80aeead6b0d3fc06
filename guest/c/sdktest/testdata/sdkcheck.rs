//! sdkcheck.rs exercises every function of the Rust SDK for sdk_test.go,
//! which runs it against fake services. Each request's PATH_INFO picks a
//! scenario; "/services" prints one line per call, in the format sdkcheck.c
//! prints too, so one expected text checks both SDKs. Built as a cdylib
//! reactor (wisp::reactor!).

use std::fmt::Write;

use wisp::{KvStore, Request, Response, Status};

wisp::reactor!(handle);

fn handle(req: &mut Request) -> wisp::Result<Response> {
    match req.path() {
        "/services" => Ok(Response::new(200)
            .with_header("Content-Type", "text/plain")
            .with_body(services(req))),
        "/response" => Ok(Response::json(201, r#"{"a":1}"#)
            .with_header("X-A", "1")
            .with_header("x-a", "2")
            .add_header("Set-Cookie", "a=1")
            .add_header("Set-Cookie", "b=2")
            .with_body(format!(
                "{{\"s\":{}}}",
                wisp::json_string("q\"\\\n\u{1}\u{e9}!")
            ))),
        "/redirect" => Ok(Response::redirect(307, "/elsewhere")),
        "/injection" => Ok(Response::text(200, "no").with_header("X-A", "a\nStatus: 200")),
        _ => Err(wisp::Error::new(Status::Invalid, "no such scenario")),
    }
}

/// The fixture's name of a status: the ABI's, as wisp_status_name says it.
fn name(s: Status) -> &'static str {
    match s {
        Status::NotFound => "NOT_FOUND",
        Status::Denied => "DENIED",
        Status::Invalid => "INVALID",
        Status::Limit => "LIMIT",
        Status::Unavailable => "UNAVAILABLE",
        Status::Timeout => "TIMEOUT",
        Status::Fault => "FAULT",
        Status::Conflict => "CONFLICT",
        Status::TooLarge => "ERR_TOO_LARGE",
        Status::Io => "ERR_IO",
        Status::Other(_) => "UNKNOWN",
    }
}

/// Prints what, OK or the status and, for the host's statuses, its message.
fn result<T>(out: &mut String, what: &str, r: &wisp::Result<T>) {
    match r {
        Ok(_) => writeln!(out, "{} OK", what),
        Err(e) if (3..=9).contains(&e.status().code()) => {
            writeln!(out, "{} {}: {}", what, name(e.status()), e.message())
        }
        Err(e) => writeln!(out, "{} {}", what, name(e.status())),
    }
    .unwrap();
}

fn or_none(s: Option<&str>) -> String {
    s.unwrap_or("(none)").to_string()
}

fn services(req: &mut Request) -> String {
    let mut out = String::new();
    let o = &mut out;
    writeln!(o, "method {} path {}", req.method(), req.path()).unwrap();
    writeln!(
        o,
        "query q={} missing={}",
        or_none(req.query_param("q").as_deref()),
        or_none(req.query_param("missing").as_deref())
    )
    .unwrap();
    writeln!(
        o,
        "header x-test={} content-type={}",
        or_none(req.header("x-test")),
        or_none(req.header("Content-Type"))
    )
    .unwrap();
    let form = req.form(100);
    result(o, "form", &form);
    if let Ok(form) = &form {
        let get = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        writeln!(o, "form f={} g={}", or_none(get("f")), or_none(get("g"))).unwrap();
    }
    result(o, "body 5", &req.body(5));
    let body = req.body(100).map(|b| b.to_vec());
    result(o, "body 100", &body);
    if let Ok(b) = body {
        writeln!(o, "body {} {}", b.len(), String::from_utf8_lossy(&b)).unwrap();
    }
    kv(o);
    for v in ["greeting", "unset", "undeclared"] {
        match wisp::var(v) {
            Ok(Some(value)) => writeln!(o, "var {} OK {}", v, value).unwrap(),
            Ok(None) => writeln!(o, "var {} NOT_FOUND", v).unwrap(),
            Err(e) => result(o, &format!("var {}", v), &Err::<(), _>(e)),
        }
    }
    wisp::log::info("saved", &[("code", "abc"), ("n", "1")]);
    writeln!(o, "log OK").unwrap();
    let logged = wisp::log::log(wisp::log::Level::Warn, "ctx", "careful", &[("k", "v")]);
    result(o, "log context", &logged);
    outbound(o);
    out
}

fn get(o: &mut String, s: &KvStore, key: &str) {
    match s.get(key) {
        Ok(Some(v)) => {
            let shown: String = String::from_utf8_lossy(&v).chars().take(20).collect();
            writeln!(o, "get {} OK {} {}", key, v.len(), shown).unwrap()
        }
        Ok(None) => writeln!(o, "get {} NOT_FOUND", key).unwrap(),
        Err(e) => result(o, &format!("get {}", key), &Err::<(), _>(e)),
    }
}

fn exists(o: &mut String, s: &KvStore, key: &str) {
    match s.exists(key) {
        Ok(found) => writeln!(o, "exists {} {}", key, found).unwrap(),
        Err(e) => result(o, "exists", &Err::<(), _>(e)),
    }
}

fn incr(o: &mut String, s: &KvStore, key: &str, delta: i64) {
    match s.increment(key, delta) {
        Ok(n) => writeln!(o, "incr {} {}", key, n).unwrap(),
        Err(e) => result(o, "incr", &Err::<(), _>(e)),
    }
}

fn cas(o: &mut String, s: &KvStore, key: &str, old: Option<&str>, new: &str) {
    match s.compare_and_swap(key, old.map(|v| v.as_bytes()), new.as_bytes()) {
        Ok(swapped) => writeln!(o, "cas {} {}", key, if swapped { "swapped" } else { "kept" }).unwrap(),
        Err(e) => result(o, "cas", &Err::<(), _>(e)),
    }
}

fn keys(o: &mut String, what: &str, keys: &[String], more: bool) {
    let first = keys.first().map(String::as_str).unwrap_or("");
    let last = keys.last().map(String::as_str).unwrap_or("");
    writeln!(o, "{} {} more={} {}..{}", what, keys.len(), more as u8, first, last).unwrap();
}

fn kv(o: &mut String) {
    result(o, "open other", &KvStore::open("other"));
    let s = match KvStore::open("default") {
        Ok(s) => s,
        Err(e) => return result(o, "open default", &Err::<(), _>(e)),
    };
    writeln!(o, "open default OK").unwrap();
    result(o, "set k", &s.set("k", "v1"));
    get(o, &s, "k");
    get(o, &s, "nope");
    exists(o, &s, "k");
    exists(o, &s, "nope");
    result(o, "delete k", &s.delete("k"));
    exists(o, &s, "k");
    result(o, "set empty key", &s.set("", "v"));
    result(o, "set big", &s.set("big", vec![b'x'; 5000]));
    get(o, &s, "big");
    let ttl = s.set_with_ttl("t", "v", std::time::Duration::from_secs(60));
    result(o, "set ttl", &ttl);
    incr(o, &s, "n", 5);
    incr(o, &s, "n", -2);
    result(o, "set s", &s.set("s", "word"));
    incr(o, &s, "s", 1);
    cas(o, &s, "c", None, "v1");
    cas(o, &s, "c", None, "v2");
    cas(o, &s, "c", Some("v1"), "v3");
    cas(o, &s, "c", Some("v1"), "v4");
    get(o, &s, "c");
    if let Ok(page) = s.list_keys("p:", None) {
        keys(o, "list p:", &page.keys, page.more);
        let after = page.keys.last().cloned();
        if let Ok(page) = s.list_keys("p:", after.as_deref()) {
            keys(o, "list p: after", &page.keys, page.more);
        }
    }
    if let Ok(all) = s.keys("p:") {
        keys(o, "list all p:", &all, false);
    }
    if let Ok(all) = s.keys("zz") {
        keys(o, "list all zz", &all, false);
    }
}

fn outbound(o: &mut String) {
    let sent = wisp::outbound::send(
        "POST",
        "http://upstream.test/x",
        &[("X-Test", "yes"), ("X-Other", "2")],
        b"payload",
    );
    result(o, "send", &sent);
    let mut r = match sent {
        Ok(r) => r,
        Err(_) => return,
    };
    let status = r.status();
    result(o, "status", &status);
    writeln!(o, "status {}", status.unwrap_or(0)).unwrap();
    if let Ok(Some(v)) = r.header("content-type") {
        writeln!(o, "header content-type {}", v).unwrap();
    }
    match r.header("X-Missing") {
        Ok(None) => writeln!(o, "header missing NOT_FOUND").unwrap(),
        other => writeln!(o, "header missing {:?}", other).unwrap(),
    }
    if let Ok(h) = r.headers() {
        let has = h.iter().any(|(n, v)| n == "Content-Type" && v == "text/x-test");
        writeln!(o, "headers {}", if has { "has Content-Type" } else { "lacks Content-Type" }).unwrap();
    }
    result(o, "read all 5", &r.read_to_end(5));
    result(o, "close", &r.close());
    if let Ok(mut r) = wisp::outbound::get("http://upstream.test/y") {
        if let Ok(b) = r.read_to_end(1000) {
            writeln!(o, "read all {} {}", b.len(), String::from_utf8_lossy(&b)).unwrap();
        }
    }
    result(o, "send other", &wisp::outbound::get("http://other.test/"));
}
