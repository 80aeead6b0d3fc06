// playground.js: "Run in this browser". The node runs the request first
// (POST /v1/apps/NAME/invoke answers the CGI input it gave the app, argv,
// environment and stdin, with the raw stdout); the page then downloads the
// same module and file bundles (GET /v1/blobs/DIGEST), runs the module with
// the browser's WebAssembly API and wasi.js on that same input, and shows
// both outputs side by side, compared byte for byte. A module that uses
// Wisp's platform services gets them from services.js, read-only, from the
// node's stores and variables.
import { Services, STATUS } from "./services.js";
import { foreignImports, moduleKind, run } from "./wasi.js";

const compiled = new Map(); // module digest -> WebAssembly.Module
const bundles = new Map(); // bundle digest -> tar bytes

function b64(s) {
  const bin = atob(s || "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function toB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// examplePath picks a path the app's first route matches.
function examplePath(route) {
  const at = route.indexOf("/");
  let p = at > 0 ? route.slice(at) : route;
  if (p.endsWith("/...")) p = p.slice(0, -4) + "/try?x=1";
  else if (p === "/...") p = "/try?x=1";
  return p || "/";
}

// firstDiff returns the index of the first differing byte, or -1.
function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

// show renders bytes as text, non-printable bytes escaped, with the bytes
// from `from` on (the first difference) marked.
function show(h, bytes, from) {
  const text = (b) => {
    let s = "";
    for (const c of new TextDecoder("utf-8", { fatal: false }).decode(b)) {
      const cp = c.codePointAt(0);
      s += (cp < 32 && c !== "\n" && c !== "\t") || cp === 0x7f ? `\\x${cp.toString(16).padStart(2, "0")}` : c;
    }
    return s;
  };
  if (from < 0) return [text(bytes)];
  const lineStart = bytes.lastIndexOf(10, from - 1) + 1;
  const lineEnd = bytes.indexOf(10, from);
  const end = lineEnd < 0 ? bytes.length : lineEnd;
  return [text(bytes.subarray(0, lineStart)), h("mark", text(bytes.subarray(lineStart, end))), text(bytes.subarray(end))];
}

// syncGet asks the admin API synchronously (a host call must answer
// before the guest goes on): {status, bytes, text}.
function syncGet(token, path) {
  const x = new XMLHttpRequest();
  x.open("GET", path, false);
  x.setRequestHeader("Authorization", "Bearer " + token);
  x.overrideMimeType("text/plain; charset=x-user-defined"); // bytes as they are
  x.send();
  const t = x.responseText;
  const bytes = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) bytes[i] = t.charCodeAt(i) & 0xff;
  return { status: x.status, bytes, text: () => new TextDecoder().decode(bytes) };
}

// keyPath escapes a key as one path segment (docs/admin-api.md).
function keyPath(key) {
  return key === "." ? "%2E" : key === ".." ? "%2E%2E" : encodeURIComponent(key);
}

// nodeServices reads the app's stores and variables through the admin API.
async function nodeServices(api, token, app, version) {
  const fresh = await api(`/v1/apps/${encodeURIComponent(app)}`);
  const spec = (fresh.versions.find((v) => v.number === version) || fresh.versions[fresh.versions.length - 1]).spec;
  let variables = [];
  try { variables = (await api(`/v1/apps/${encodeURIComponent(app)}/variables`)).variables; } catch (e) { if (e.status !== 404) throw e; }
  const problem = (r) => { try { return JSON.parse(r.text()).error; } catch { return `HTTP ${r.status}`; } };
  return new Services({
    stores: spec.key_value_stores,
    variables,
    kvGet(store, key) {
      const r = syncGet(token(), `/v1/kv/${encodeURIComponent(store)}/${keyPath(key)}`);
      if (r.status === 200) return { status: STATUS.OK, bytes: r.bytes };
      if (r.status === 404) return { status: STATUS.NOT_FOUND };
      return { status: STATUS.UNAVAILABLE, message: `reading ${store}/${key} from the node: ${problem(r)}` };
    },
    kvList(store, prefix, after) {
      const q = new URLSearchParams({ prefix, after, limit: "1000" });
      const r = syncGet(token(), `/v1/kv/${encodeURIComponent(store)}?${q}`);
      if (r.status === 404) return { status: STATUS.OK, keys: [], more: false }; // no store yet: empty
      if (r.status !== 200) return { status: STATUS.UNAVAILABLE, message: `listing ${store} on the node: ${problem(r)}` };
      const j = JSON.parse(r.text());
      return { status: STATUS.OK, keys: j.keys, more: j.more };
    },
  });
}

export function playground(box, app, { api, h, fmt, token }) {
  const cur = app.versions.find((v) => v.number === app.current);
  const method = h("select#pg-method", ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"].map((m) => h("option", m)));
  const path = h("input#pg-path", { value: examplePath(String(cur.spec.routes[0] || "/")), spellcheck: "false", autocomplete: "off" });
  const headers = h("textarea#pg-headers", { spellcheck: "false", placeholder: "Name: value, one a line" });
  headers.value = "User-Agent: wisp-playground\nAccept: */*";
  const body = h("textarea#pg-body", { spellcheck: "false", placeholder: "request body (sent on stdin)" });
  const runBtn = h("button#pg-run", { type: "button" }, "▶ Run in this browser");
  const out = h("div#pg-result");
  box.replaceChildren(
    h("div.page-head", { style: "margin-bottom:8px" }, h("h2", { style: "margin:0" }, "Playground"),
      h("span.sub", "the same module and CGI request, on this node and in this browser")),
    h("div.pg-form",
      h("div", h("label", { for: "pg-method" }, "Method"), method),
      h("div", h("label", { for: "pg-path" }, "Path and query"), path),
      h("div.full", h("label", { for: "pg-headers" }, "Headers"), headers),
      h("div.full", h("label", { for: "pg-body" }, "Body"), body),
      h("div.full", runBtn)),
    out);

  runBtn.addEventListener("click", async () => {
    runBtn.disabled = true;
    out.replaceChildren(h("p.muted", "Running on the node…"));
    const hdrs = {};
    for (const line of headers.value.split("\n")) {
      const i = line.indexOf(":");
      if (i > 0) hdrs[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    try {
      const node = await api(`/v1/apps/${encodeURIComponent(app.name)}/invoke`, {
        method: "POST", json: { method: method.value, path: path.value, headers: hdrs, body: body.value },
      });
      const nodeOut = b64(node.stdout);
      out.replaceChildren(h("p.muted", "Downloading the module and running it in this browser…"));
      let browser;
      let refused = "";
      const t0 = performance.now();
      try {
        let mod = compiled.get(node.module);
        if (!mod) {
          const bytes = await api(`/v1/blobs/${node.module}`);
          const kind = moduleKind(bytes);
          if (kind !== "module") throw Object.assign(new Error(kind === "component" ? "this app is a WebAssembly component: the browser runs WASI preview 1 modules only (a component needs its own host: jco transpile)" : "the module is not WebAssembly"), { refused: true });
          mod = await WebAssembly.compile(bytes);
          compiled.set(node.module, mod);
        }
        let services = null;
        if (WebAssembly.Module.imports(mod).some((i) => i.module.startsWith("wisp:"))) {
          services = await nodeServices(api, token, app.name, node.version);
        }
        const foreign = foreignImports(mod, services ? services.imports() : {});
        if (foreign.length) throw Object.assign(new Error(`this module imports ${foreign.join(", ")}, which only a node provides: the browser runs modules that use WASI preview 1 and Wisp's platform services`), { refused: true });
        const mounts = [];
        for (const f of node.files || []) {
          if (!bundles.has(f.bundle)) bundles.set(f.bundle, await api(`/v1/blobs/${f.bundle}`));
          mounts.push({ guest: f.mount, tar: bundles.get(f.bundle) });
        }
        browser = await run(mod, { args: node.args, env: node.env, stdin: b64(node.stdin), mounts, services });
        browser.logs = services ? services.logs : [];
      } catch (e) {
        if (!e.refused) throw e;
        refused = e.message;
      }
      const ms = performance.now() - t0;
      render(node, nodeOut, browser, refused, ms);
    } catch (e) {
      out.replaceChildren(h("div.verdict.fail#pg-verdict", { "data-result": "error" }, e.message));
    } finally {
      runBtn.disabled = false;
    }
  });

  function render(node, nodeOut, browser, refused, ms) {
    const envList = h("details", h("summary.muted", `CGI input: ${node.args.length} arguments, ${node.env.length} environment variables, ${node.stdin ? b64(node.stdin).length : 0} bytes on stdin`),
      h("pre.mono", [...node.args.map((a, i) => `argv[${i}] = ${a}`), "", ...node.env].join("\n")));
    if (refused) {
      out.replaceChildren(envList, h("div.pg-out",
        h("div", h("h3", "Node", h("span.pill", `v${node.version} · ${fmt.ms(node.duration_ms)}`)), h("pre#pg-node", show(h, nodeOut, -1))),
        h("div", h("h3", "This browser"), h("pre#pg-browser.muted", "not run"))),
      h("div.verdict.fail#pg-verdict", { "data-result": "refused" }, refused));
      return;
    }
    const bOut = browser.stdout;
    const d = firstDiff(nodeOut, bOut);
    const nodeOK = !node.error;
    const browserOK = !browser.error && browser.exitCode === 0;
    const same = d < 0 && nodeOK === browserOK;
    const verdict = same
      ? h("div.verdict.same#pg-verdict", { "data-result": "identical" }, `✓ Identical: ${nodeOut.length} bytes, byte for byte`)
      : h("div.verdict.diff#pg-verdict", { "data-result": "different" }, d >= 0
        ? `≠ The answers differ from byte ${d} on (node ${nodeOut.length} bytes, browser ${bOut.length}); the first differing line is marked`
        : `≠ Same bytes, different outcome: node ${node.error || "exit 0"}, browser ${browser.error || "exit " + browser.exitCode}`);
    verdict.dataset.node = toB64(nodeOut);
    verdict.dataset.browser = toB64(bOut);
    out.replaceChildren(envList, h("div.pg-out",
      h("div", h("h3", "Node", h("span.pill", `v${node.version} · ${fmt.ms(node.duration_ms)}`), node.error ? h("span.pill.bad", node.error) : ""), h("pre#pg-node", show(h, nodeOut, d))),
      h("div", h("h3", "This browser", h("span.pill", `WebAssembly · ${fmt.ms(ms)}`), browser.error || browser.exitCode ? h("span.pill.bad", browser.error || `exit ${browser.exitCode}`) : ""), h("pre#pg-browser", show(h, bOut, d)))),
    verdict,
    browser.stderr.length ? h("details", h("summary.muted", "browser stderr"), h("pre.mono", new TextDecoder().decode(browser.stderr))) : "",
    browser.logs.length ? h("details", h("summary.muted", `browser log (${browser.logs.length})`), h("pre.mono", browser.logs.map((l) => `${l.level} ${l.context} ${l.message} ${l.fields.join(" ")}`).join("\n"))) : "");
  }
}
