// jsprobe.js: a JavaScript wasi:http handler (built by build.sh into
// ../extra/jsprobe.wasm with componentize-js) that reports whether the
// JavaScript state a request starts from is what a fresh instance has,
// then changes it. The node runs a snapshotted component on reused graphs
// (internal/engine/component_reuse.go); tests/isolation holds it to this.
//
// State of a fresh instance: requests = 0, last = "none", no
// globalThis.jsprobeLeak, an empty cache, no globalThis.jsprobeBig.
//
// Every request (query: mode=M&secret=S) reports, as text/plain:
//
//   requests=0\nlast=none\nleak=none\ncache=0\nbig=none\nmode=M\nsecret=S\n
//
// then counts itself, keeps S in every place above (the cache gets S
// repeated 1,000 times), and ends per mode: ok answers; throw throws
// (the handler rejects: no response); grow also allocates 32 MiB, which
// grows the linear memory, and answers; loop spins forever; twice is ok
// but changes the state before reporting, so its report shows what a
// request on a graph that was not reset would see (the probe's self-test).
let requests = 0;
let last = "none";
const cache = new Map();

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));

function report(mode, secret) {
  const leak = globalThis.jsprobeLeak === undefined ? "none" : globalThis.jsprobeLeak;
  const big = globalThis.jsprobeBig === undefined ? "none" : String(globalThis.jsprobeBig.length);
  return `requests=${requests}\nlast=${last}\nleak=${leak}\ncache=${cache.size}\nbig=${big}\nmode=${mode}\nsecret=${secret}\n`;
}

function dirty(secret) {
  requests++;
  last = secret;
  globalThis.jsprobeLeak = secret;
  cache.set(secret + requests, secret.repeat(1000));
}

async function handle(req) {
  const url = new URL(req.url);
  const mode = url.searchParams.get("mode") || "ok";
  const secret = url.searchParams.get("secret") || "none";
  if (mode === "twice") {
    dirty(secret);
  }
  const body = report(mode, secret);
  dirty(secret);
  switch (mode) {
    case "throw":
      throw new Error("jsprobe: thrown as asked");
    case "grow":
      globalThis.jsprobeBig = new Uint8Array(32 << 20).fill(7);
      break;
    case "loop":
      for (;;) {}
  }
  return new Response(body, { status: 200, headers: { "content-type": "text/plain" } });
}
