// hello.js: a JavaScript wasi:http handler for Wisp, built into a
// component (hello.wasm) by build.sh with componentize-js.
//
//   GET  /hello-js                  a text greeting
//   POST /hello-js                  echoes the body back: 201, x-echo-length
//   GET  /hello-js/fetch?url=URL    fetches URL (through the app's
//                                   allowed_outbound_hosts) and reports
//                                   the upstream status and body; 502
//                                   when the fetch fails or is refused
addEventListener("fetch", (event) => event.respondWith(handle(event.request)));

async function handle(req) {
  const url = new URL(req.url);
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
    return text(200, `hello from JavaScript on Wisp: ${req.method} ${url.pathname}\n`);
  }
  return text(405, `method ${req.method} is not allowed: use GET or POST\n`, { allow: "GET, POST" });
}

function text(status, body, headers = {}) {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
