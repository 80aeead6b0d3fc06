// hello.js: a JavaScript wasi:http handler for Wisp, built into a
// component (hello.wasm) by build.sh with componentize-js.
//
//   GET  /hello-js                  a text greeting (the variable
//                                   greeting, through wasi:config)
//   GET  /hello-js/count            increments the counter js:hits in the
//                                   key-value store default and answers it
//   POST /hello-js                  echoes the body back: 201, x-echo-length
//   GET  /hello-js/fetch?url=URL    fetches URL (through the app's
//                                   allowed_outbound_hosts) and reports
//                                   the upstream status and body; 502
//                                   when the fetch fails or is refused
import { open } from "wasi:keyvalue/store@0.2.0-draft";
import { increment } from "wasi:keyvalue/atomics@0.2.0-draft";
import { get as getConfig } from "wasi:config/store@0.2.0-draft";
import { log } from "wasi:logging/logging@0.1.0-draft";

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));

// describe words an error a WASI import threw (its payload is the WIT
// error variant: { tag, val }).
function describe(e) {
  const p = e && e.payload;
  if (p && p.tag) {
    return p.val === undefined ? p.tag : `${p.tag}: ${p.val}`;
  }
  return String(e);
}

async function handle(req) {
  const url = new URL(req.url);
  if (url.pathname.endsWith("/count")) {
    try {
      const hits = increment(open("default"), "js:hits", 1n);
      log("info", "hello-js", `count ${hits}`);
      return text(200, `count ${hits}\n`);
    } catch (e) {
      return text(500, `key-value store default failed: ${describe(e)}\n`);
    }
  }
  if (url.pathname.endsWith("/fetch")) {
    const target = url.searchParams.get("url");
    if (!target) {
      return text(400, "give the URL to fetch: /hello-js/fetch?url=http://...\n");
    }
    try {
      const resp = await fetch(target);
      const body = await resp.text();
      return text(200, `upstream ${resp.status}\n${body}`, { "x-upstream-status": String(resp.status) });
    } catch (e) {
      return text(502, `fetch ${target} failed: ${e}\n`);
    }
  }
  if (req.method === "POST") {
    const body = await req.text();
    return text(201, body, { "x-echo-length": String(body.length) });
  }
  if (req.method === "GET" || req.method === "HEAD") {
    let greeting = "hello from JavaScript on Wisp";
    try {
      greeting = getConfig("greeting") ?? greeting;
    } catch (e) {
      log("warn", "hello-js", `variable greeting: ${describe(e)}`);
    }
    return text(200, `${greeting}: ${req.method} ${url.pathname}\n`);
  }
  return text(405, `method ${req.method} is not allowed: use GET or POST\n`, { allow: "GET, POST" });
}

function text(status, body, headers = {}) {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
