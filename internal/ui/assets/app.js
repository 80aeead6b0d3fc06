// app.js: the Wisp dashboard. Every figure comes from the admin API's /v1/
// endpoints (docs/admin-api.md) with the token given on the login screen,
// kept in this tab's sessionStorage. Views: #/apps, #/apps/NAME, #/fleet,
// #/node. Polls every 2 s while a view is shown; an app's log streams.
import { deployFolder, deployWasm, filesFromDrop, filesFromInput } from "./deploy.js";
import { playground } from "./playground.js";

const $ = (sel, root = document) => root.querySelector(sel);
const POLL_MS = 2000;

// h builds an element: h("div.card#x", {attrs}, children...).
export function h(tag, attrs, ...children) {
  const [, name, rest] = tag.match(/^([a-z0-9]+)(.*)$/i);
  const el = document.createElement(name);
  for (const m of rest.matchAll(/([.#])([^.#]+)/g)) {
    if (m[1] === ".") el.classList.add(m[2]);
    else el.id = m[2];
  }
  if (attrs !== null && attrs !== undefined && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else if (k === "style") el.style.cssText = v; // CSSOM: the CSP forbids style attributes
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// --- session and API ---
const session = {
  get token() { return sessionStorage.getItem("wisp-token") || ""; },
  set token(t) { if (t) sessionStorage.setItem("wisp-token", t); else sessionStorage.removeItem("wisp-token"); },
};

export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api calls the admin API; a JSON answer is decoded, an error thrown with
// the node's message. A 401 signs out.
export async function api(path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  headers.set("Authorization", "Bearer " + session.token);
  let body = opts.body;
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(path, { method: opts.method || "GET", headers, body, signal: opts.signal });
  if (!res.ok) {
    let msg = res.statusText;
    let code = "";
    try { const j = await res.json(); msg = j.error || msg; code = j.code || ""; } catch { /* not JSON */ }
    if (res.status === 401 && !opts.login) signOut("The token was refused: sign in again.");
    throw new APIError(res.status, code, msg);
  }
  if (opts.raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get("Content-Type") || "";
  return type.includes("json") ? res.json() : new Uint8Array(await res.arrayBuffer());
}

// --- small formatters ---
export const fmt = {
  rate(r) { return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2); },
  pct(x) { return x === 0 ? "0%" : x < 0.001 ? "<0.1%" : (x * 100).toFixed(x < 0.1 ? 1 : 0) + "%"; },
  ms(x) { return !x ? "–" : x < 1 ? (x * 1000).toFixed(0) + " µs" : x < 100 ? x.toFixed(1) + " ms" : x < 10000 ? x.toFixed(0) + " ms" : (x / 1000).toFixed(1) + " s"; },
  ago(t) {
    const s = (Date.now() - new Date(t).getTime()) / 1000;
    if (s < 60) return Math.max(0, Math.round(s)) + "s ago";
    if (s < 3600) return Math.round(s / 60) + "m ago";
    if (s < 86400) return Math.round(s / 3600) + "h ago";
    return Math.round(s / 86400) + "d ago";
  },
  bytes(n) {
    if (n < 1024) return n + " B";
    const u = ["KiB", "MiB", "GiB", "TiB"];
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return (n >= 10 ? n.toFixed(0) : n.toFixed(1)) + " " + u[i];
  },
  // size parses the node's sizes ("64MiB", "512B") into bytes.
  size(s) {
    const m = /^(\d+)(B|KiB|MiB|GiB|TiB)$/.exec(String(s || "0B"));
    if (!m) return Number(s) || 0;
    return Number(m[1]) * { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 }[m[2]];
  },
  short(d) { return d ? d.replace(/^sha256:/, "").slice(0, 12) : ""; },
  // dur parses a Go duration as the node writes them ("371.2µs",
  // "1m2.5s") into nanoseconds.
  dur(s) {
    const unit = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
    let ns = 0;
    for (const [, n, u] of String(s || "0").matchAll(/([\d.]+)(ns|us|µs|μs|ms|s|m|h)/g)) ns += Number(n) * unit[u];
    return ns;
  },
  // cpu formats a CPU time in nanoseconds as wisp.FormatCPU does: µs
  // below a millisecond, ms below a second.
  cpu(ns) {
    if (ns < 9950) return (ns / 1e3).toFixed(1) + " µs";
    if (ns < 999500) return (ns / 1e3).toFixed(0) + " µs";
    if (ns < 1e9 - 5000) return (ns / 1e6).toFixed(2) + " ms";
    return (ns / 1e9).toFixed(3) + " s";
  },
};

// spark draws per-second counts (and errors) as an SVG sparkline.
export function spark(series, errors) {
  const ns = "http://www.w3.org/2000/svg";
  const w = 120, hgt = 30;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "spark");
  svg.setAttribute("aria-hidden", "true");
  const data = series && series.length ? series : new Array(60).fill(0);
  const max = Math.max(1, ...data);
  const pts = (d) => d.map((v, i) => `${((i / (d.length - 1)) * w).toFixed(1)},${(hgt - 1 - (v / max) * (hgt - 3)).toFixed(1)}`).join(" ");
  const path = (cls, d, area) => {
    const p = document.createElementNS(ns, area ? "polygon" : "polyline");
    p.setAttribute("class", cls);
    p.setAttribute("points", area ? `0,${hgt} ${pts(d)} ${w},${hgt}` : pts(d));
    svg.append(p);
  };
  path("area", data, true);
  path("line", data, false);
  if (errors && errors.some((v) => v > 0)) path("err", errors, true);
  return svg;
}

export function toast(msg, bad = false) {
  const t = $("#toast");
  t.textContent = msg;
  t.className = "toast show" + (bad ? " bad" : "");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = "toast"; }, bad ? 7000 : 3500);
}

// --- views and routing ---
let view = { stop() {} }; // the shown view: stop() ends its polling and streams

function signOut(message) {
  session.token = "";
  view.stop();
  $("#top").hidden = true;
  const main = $("#main");
  main.replaceChildren(loginSection);
  $("#login-error").textContent = message || "";
  $("#token").value = "";
  $("#token").focus();
}

const loginSection = document.getElementById("login");

async function signIn(token) {
  session.token = token;
  try {
    const node = await api("/v1/node", { login: true });
    $("#node-version").textContent = `wisp ${node.version}`;
    return true;
  } catch (e) {
    session.token = "";
    $("#login-error").textContent = e.status === 401 ? "That token is not this node's admin token." : `Cannot reach the admin API: ${e.message}`;
    return false;
  }
}

// poller runs fn now and every POLL_MS until stopped; a failure shows in
// the given element and polling goes on.
function poller(fn, errEl) {
  let timer = 0;
  let stopped = false;
  const tick = async () => {
    try {
      await fn();
      if (errEl) errEl.textContent = "";
    } catch (e) {
      if (errEl && !stopped) errEl.textContent = e.message;
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

function route() {
  if (!session.token) { signOut(); return; }
  view.stop();
  $("#top").hidden = false;
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const main = $("#main");
  main.replaceChildren();
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === (parts[0] || "apps"));
  if (parts[0] === "apps" && parts[1]) view = appView(main, parts[1]);
  else if (parts[0] === "fleet") view = fleetView(main);
  else if (parts[0] === "node") view = nodeView(main);
  else view = appsView(main);
  window.scrollTo(0, 0);
}

// --- #/apps ---
// The list of apps (every version of every app) is read at every poll
// while a node has fewer than MANY_APPS, every APPS_EVERY polls beyond
// (and when the figures name an app it does not know); the figures at
// every poll.
const MANY_APPS = 200;
const APPS_EVERY = 5;

function appsView(main) {
  const err = h("p.error");
  const cards = h("div.cards#app-cards");
  const filter = h("input#apps-filter", { type: "search", placeholder: "Filter apps", autocomplete: "off", "aria-label": "Filter apps by name or route" });
  const drop = dropZone({ title: "Deploy an app", newApp: true, onDone: (res) => { location.hash = `#/apps/${encodeURIComponent(res.name)}`; } });
  const count = h("span.sub#apps-count");
  main.append(
    h("div.page-head", h("h1", "Apps"), count, h("span.live", "live"), h("div.actions", filter)),
    err, cards, h("div.panel", { style: "margin-top:18px" }, drop.el),
  );
  let apps = null;
  let stats = { window: "", apps: {} };
  let polls = 0;
  const render = () => {
    count.textContent = `${apps.length} on this node · last ${stats.window}`;
    if (!apps.length) {
      cards.replaceChildren(h("div.empty.panel", "No apps yet: drop a .wasm or a folder with a wisp.toml below, or run ", h("code", "wisp deploy"), "."));
      return;
    }
    const q = filter.value.trim().toLowerCase();
    const shown = apps.filter((a) => !q || a.name.includes(q) || currentVersion(a).spec.routes.some((r) => r.toLowerCase().includes(q)));
    cards.replaceChildren(...(shown.length ? shown.map((a) => appCard(a, stats.apps[a.name])) : [h("div.empty.panel", `No app matches “${filter.value}”.`)]));
  };
  filter.addEventListener("input", () => apps && render());
  const stop = poller(async () => {
    const fresh = apps === null || apps.length < MANY_APPS || polls++ % APPS_EVERY === 0 || Object.keys(stats.apps).some((n) => !apps.some((a) => a.name === n));
    [apps, stats] = await Promise.all([fresh ? api("/v1/apps").then((r) => r.apps) : apps, api("/v1/stats")]);
    render();
  }, err);
  return { stop };
}

function currentVersion(app) {
  return app.versions.find((v) => v.number === app.current) || app.versions[app.versions.length - 1];
}

function appCard(app, st) {
  const v = currentVersion(app);
  st = st || { rate: 0, error_rate: 0, p50_ms: 0, p95_ms: 0, per_second: [], errors_per_second: [] };
  return h("a.card", { href: `#/apps/${encodeURIComponent(app.name)}`, "data-app": app.name },
    h("div.name", app.name, h("span.pill.ok", `v${app.current}`)),
    h("div.routes", v.spec.routes.join("  ")),
    h("div.metrics",
      metric("req/s", fmt.rate(st.rate), "", "rate"),
      metric("errors", fmt.pct(st.error_rate), st.error_rate > 0 ? "bad" : "", "errors"),
      metric("p95", fmt.ms(st.p95_ms), "", "p95")),
    spark(st.per_second, st.errors_per_second));
}

function metric(k, v, cls, key) {
  return h("div.metric", { "data-metric": key }, h("div.v" + (cls ? "." + cls : ""), v), h("div.k", k));
}

// --- #/apps/NAME ---
function appView(main, name) {
  const stops = [];
  const err = h("p.error");
  const head = h("div.page-head",
    h("div", h("h1#app-name", name), h("div.sub#app-sub", "…")),
    h("div.actions",
      h("button.secondary#rollback", { type: "button", onclick: () => rollback(name, 0) }, "↶ Roll back"),
      h("button.danger#remove", { type: "button", onclick: () => removeApp(name) }, "Remove")));
  const big = h("div.big-metrics#app-metrics");
  const sparkBox = h("div.panel", { style: "padding:10px 14px" });
  const versions = h("div.panel", h("h2", "Versions"), h("div.table-wrap#versions"));
  const config = h("div.panel", h("h2", "Routes and limits"), h("div#config"));
  const env = h("div.panel", h("h2", "Environment and variables"), h("div#env"));
  const kv = h("div.panel", h("h2", "Key-value stores"), h("div#kv"));
  const cpu = h("div.panel", h("h2", "CPU on this node"), h("div#cpu"));
  const deploy = dropZone({ title: "Deploy a new version", app: name, onDone: () => refresh() });
  const logs = h("div.panel.span-2", h("div.page-head", { style: "margin:0 0 10px" }, h("h2", { style: "margin:0" }, "Logs"), h("span.live", "streaming")), h("div.logs#logs"));
  const pg = h("div.panel.span-2#playground");
  const body = h("div.stack", big, sparkBox,
    h("div.grid.two", versions, cpu, config, env, kv, h("div.panel.span-2", deploy.el), logs, pg));
  main.append(head, err, body);
  // q finds an element of this page, never of the page shown after it:
  // a refresh still under way when the user leaves writes into the
  // detached elements instead of failing on the next page.
  const q = (sel) => $(sel, head) || $(sel, body);

  let app = null;
  let pgMade = false;
  async function refresh() {
    app = await api(`/v1/apps/${encodeURIComponent(name)}`);
    const cur = currentVersion(app);
    q("#app-sub").replaceChildren(h("span.pill.ok#app-current", `serving v${app.current}`), " ", h("span.muted", `${app.versions.length} version${app.versions.length === 1 ? "" : "s"} · module ${fmt.short(cur.spec.module)}`));
    q("#rollback").disabled = app.versions.length < 2 || app.versions[0].number === app.current;
    renderVersions(app);
    renderConfig(cur.spec);
    await Promise.all([renderEnv(name, cur.spec), renderKV(cur.spec), renderCPU(name)]);
    if (!pgMade) { pgMade = true; playground(pg, app, { api, h, fmt, token: () => session.token }); }
  }
  async function rollback(app, to) {
    try {
      const a = await api(`/v1/apps/${encodeURIComponent(name)}/rollback`, { method: "POST", json: to ? { version: to } : {} });
      toast(`${name} now serves version ${a.current}`);
      await refresh();
    } catch (e) { toast(`Rollback failed: ${e.message}`, true); }
  }
  async function removeApp() {
    if (!confirm(`Remove ${name}? It stops serving at once; its versions are deleted.`)) return;
    try {
      await api(`/v1/apps/${encodeURIComponent(name)}`, { method: "DELETE" });
      toast(`${name} removed`);
      location.hash = "#/apps";
    } catch (e) { toast(`Remove failed: ${e.message}`, true); }
  }
  function renderVersions(app) {
    const rows = [...app.versions].reverse().map((v) => h("tr", { "data-version": v.number },
      h("td", h("b", `v${v.number}`), v.number === app.current ? [" ", h("span.pill.ok", "serving")] : ""),
      h("td", { title: v.created_at }, fmt.ago(v.created_at)),
      h("td.mono", { title: v.spec.module }, fmt.short(v.spec.module)),
      h("td", v.number === app.current ? "" : h("button.secondary", { type: "button", "data-rollback-to": v.number, onclick: () => rollback(name, v.number) }, `Serve v${v.number}`))));
    q("#versions").replaceChildren(h("table", h("thead", h("tr", h("th", "version"), h("th", "deployed"), h("th", "module"), h("th", ""))), h("tbody", rows)));
  }
  function renderConfig(spec) {
    const l = spec.limits || {};
    q("#config").replaceChildren(h("dl.kv",
      h("dt", "routes"), h("dd#routes", spec.routes.join(", ")),
      h("dt", "memory"), h("dd", l.memory), h("dt", "timeout"), h("dd", l.timeout),
      h("dt", "max body"), h("dd", l.max_body), h("dt", "max response"), h("dd", l.max_response),
      h("dt", "cpu"), h("dd#limit-cpu", l.cpu || "none"),
      h("dt", "concurrency"), h("dd", l.max_concurrency),
      h("dt", "kv ops"), h("dd", l.kv_ops ?? "–"),
      h("dt", "outbound requests"), h("dd#limit-outbound-requests", l.outbound_requests ?? "–"),
      h("dt", "outbound bytes"), h("dd#limit-outbound-bytes", l.outbound_bytes ?? "–"),
      h("dt", "outbound"), h("dd", (spec.allowed_outbound_hosts || []).join(", ") || "none"),
      h("dt", "files"), h("dd", (spec.files || []).map((f) => `${f.mount} (${fmt.short(f.bundle)})`).join(", ") || "none")));
  }
  async function renderEnv(name, spec) {
    const rows = [];
    for (const k of Object.keys(spec.env || {}).sort()) {
      const secretish = /secret|token|passw|key|credential|auth/i.test(k);
      rows.push(h("tr", h("td.mono", k), h("td", h("span.pill", "env")), h("td.mono", secretish ? masked(spec.env[k]) : spec.env[k])));
    }
    let vars = [];
    try { vars = (await api(`/v1/apps/${encodeURIComponent(name)}/variables`)).variables; } catch { /* none */ }
    for (const v of vars) {
      const value = v.secret ? h("span.mono", { title: "secret: never shown" }, "••••••••") : v.value ?? (v.default !== undefined ? h("span.muted", `${v.default} (default)`) : h("span.muted", "unset"));
      rows.push(h("tr", h("td.mono", v.name), h("td", h("span.pill" + (v.secret ? ".warn" : ""), v.secret ? "secret" : "variable"), v.required ? [" ", h("span.pill", "required")] : ""), h("td.mono", value)));
    }
    q("#env").replaceChildren(rows.length ? h("div.table-wrap", h("table", h("tbody", rows))) : h("p.muted", "No environment variables or variables."));
  }
  // renderCPU shows the app's CPU use on this node (GET /v1/apps/NAME/usage,
  // docs/cpu.md): totals, and percentiles per request over the latest ones.
  async function renderCPU(name) {
    let u;
    try { u = await api(`/v1/apps/${encodeURIComponent(name)}/usage`); } catch (e) { if (e.status !== 404) throw e; return; }
    if (!u.requests) { q("#cpu").replaceChildren(h("p.muted", "No metered requests yet.")); return; }
    const c = (d) => fmt.cpu(fmt.dur(d));
    q("#cpu").replaceChildren(h("dl.kv",
      h("dt", "requests"), h("dd#cpu-requests", String(u.requests)),
      h("dt", "in all"), h("dd#cpu-total", `${c(u.cpu)} (${u.fuel} fuel)`),
      h("dt", "per request"), h("dd#cpu-percentiles", `p50 ${c(u.p50)} · p90 ${c(u.p90)} · p99 ${c(u.p99)} · max ${c(u.max)}`),
      h("dt", "stopped at limit"), h("dd#cpu-stops", u.over_budget ? h("span.pill.bad", String(u.over_budget)) : "0")),
      h("p.muted", { style: "font-size:12px" }, `percentiles over the latest ${u.window} requests; the cpu limit counts fuel, the same on every node (docs/cpu.md)`));
  }
  async function renderKV(spec) {
    const stores = spec.key_value_stores || [];
    if (!stores.length) { q("#kv").replaceChildren(h("p.muted", "This app opens no key-value store.")); return; }
    const blocks = await Promise.all(stores.map(async (s) => {
      let keys = [];
      let more = false;
      try { ({ keys, more } = await api(`/v1/kv/${encodeURIComponent(s)}?limit=8`)); } catch (e) { if (e.status !== 404) throw e; }
      return h("div", { "data-store": s }, h("div", h("b", s), " ", h("span.muted", keys.length ? `${keys.length}${more ? "+" : ""} keys` : "empty")),
        keys.length ? h("ul.mono", keys.map((k) => h("li", k))) : "");
    }));
    q("#kv").replaceChildren(...blocks);
  }

  stops.push(poller(async () => {
    if (!app) await refresh();
    const st = await api("/v1/stats");
    const s = st.apps[name] || { rate: 0, error_rate: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0, requests: 0, per_second: [], errors_per_second: [] };
    big.replaceChildren(
      metric("requests / s", fmt.rate(s.rate), "", "rate"),
      metric(`errors (${s.errors || 0} of ${s.requests})`, fmt.pct(s.error_rate), s.error_rate > 0 ? "bad" : "", "errors"),
      metric("p50 latency", fmt.ms(s.p50_ms), "", "p50"),
      metric("p95 latency", fmt.ms(s.p95_ms), "", "p95"),
      metric("p99 latency", fmt.ms(s.p99_ms), "", "p99"));
    sparkBox.replaceChildren(h("div.muted", { style: "font-size:12px" }, `requests per second, last ${st.window}`), spark(s.per_second, s.errors_per_second));
  }, err));
  stops.push(streamLogs(name, q("#logs")));
  const every = setInterval(() => refresh().catch(() => {}), 5000);
  stops.push(() => clearInterval(every));
  return { stop: () => stops.forEach((f) => f()) };
}

function masked(v) {
  const s = h("span", { title: "click to show" }, "••••••••");
  s.style.cursor = "pointer";
  s.addEventListener("click", () => { s.textContent = v; });
  return s;
}

// streamLogs follows the app's log (newline-delimited JSON over a fetch
// stream, the admin API's follow=1), reconnecting after a failure.
function streamLogs(name, box) {
  const ctl = new AbortController();
  let after = 0;
  const add = (e) => {
    after = Math.max(after, e.seq);
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    const t = new Date(e.time);
    box.append(h("div.entry", { "data-stream": e.stream },
      h("span.t", t.toLocaleTimeString([], { hour12: false }) + " "),
      h(`span.s.s-${e.stream}`, e.stream), " ",
      e.version ? h("span.t", `v${e.version} `) : "",
      e.message));
    while (box.childElementCount > 500) box.firstElementChild.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
  };
  (async () => {
    while (!ctl.signal.aborted) {
      try {
        const res = await api(`/v1/apps/${encodeURIComponent(name)}/logs?follow=1&tail=${after ? 1000 : 200}&after=${after}`, { raw: true, signal: ctl.signal });
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) add(JSON.parse(line));
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        if (e.status === 404 && !box.childElementCount) box.replaceChildren(h("div.t", "No log on this node yet: it starts with the app's first deploy or request here."));
      }
      await new Promise((r) => setTimeout(r, 1500));
    }
  })();
  return () => ctl.abort();
}

// dropZone is where a .wasm or a folder with a wisp.toml is dropped (or
// picked) to deploy: a new app from the apps list, a new version on an
// app's page (keeping its routes, env, files and limits).
function dropZone({ title, app, newApp, onDone }) {
  const status = h("p.error", { role: "alert" });
  const nameIn = h("input#deploy-name", { placeholder: "my-app", autocomplete: "off" });
  const routeIn = h("input#deploy-route", { placeholder: "/my-app", autocomplete: "off" });
  const wasmIn = h("input#deploy-wasm", { type: "file", accept: ".wasm,application/wasm" });
  const dirIn = h("input#deploy-folder", { type: "file", webkitdirectory: true, multiple: true });
  const el = h("div.drop#drop",
    h("h2", title),
    h("div", newApp ? "Drop a .wasm file (give it a name and a route) or a folder with a wisp.toml here." : "Drop a .wasm to deploy it with this version's routes, environment and limits, or a folder with a wisp.toml."),
    newApp ? h("div.fields", h("div", h("label", { for: "deploy-name" }, "Name"), nameIn), h("div", h("label", { for: "deploy-route" }, "Route"), routeIn)) : "",
    h("div.row", h("label.secondary", "Choose a .wasm ", wasmIn), h("label.secondary", "or a folder ", dirIn)),
    status);
  const busy = (on) => { el.classList.toggle("busy", on); wasmIn.disabled = dirIn.disabled = on; };
  const go = async (files) => {
    status.textContent = "";
    busy(true);
    try {
      let res;
      const toml = files.find((f) => f.path.split("/").slice(-1)[0] === "wisp.toml" && f.path.split("/").length <= 2);
      if (toml) {
        res = await deployFolder(api, files, toml, (m) => { status.textContent = m; });
      } else {
        const wasm = files.filter((f) => f.path.endsWith(".wasm"));
        if (wasm.length !== 1) throw new Error("drop one .wasm file, or a folder with a wisp.toml at its top");
        const base = app ? currentVersion(await api(`/v1/apps/${encodeURIComponent(app)}`)).spec : null;
        const name = app || nameIn.value.trim() || wasm[0].path.split("/").pop().replace(/\.wasm$/, "").toLowerCase().replace(/[^a-z0-9-]+/g, "-");
        const route = routeIn.value.trim() || "/" + name;
        res = await deployWasm(api, wasm[0].file, { name, route, base }, (m) => { status.textContent = m; });
      }
      status.textContent = "";
      toast(res.unchanged ? `${res.name}: unchanged, still version ${res.version}` : `${res.name} version ${res.version} is serving`);
      onDone(res);
    } catch (e) {
      status.textContent = e.message;
    } finally {
      busy(false);
      wasmIn.value = "";
      dirIn.value = "";
    }
  };
  el.addEventListener("dragover", (e) => { e.preventDefault(); el.classList.add("over"); });
  el.addEventListener("dragleave", () => el.classList.remove("over"));
  el.addEventListener("drop", async (e) => {
    e.preventDefault();
    el.classList.remove("over");
    try { go(await filesFromDrop(e.dataTransfer)); } catch (err) { status.textContent = err.message; }
  });
  wasmIn.addEventListener("change", () => go(filesFromInput(wasmIn.files)));
  dirIn.addEventListener("change", () => go(filesFromInput(dirIn.files)));
  return { el };
}

// --- #/fleet ---
function fleetView(main) {
  const err = h("p.error");
  const box = h("div.stack#nodes");
  main.append(h("div.page-head", h("h1", "Fleet"), h("span.sub", "every node that reported in the last 30 s, and what it serves"), h("span.live", "live")), err, box);
  const stop = poller(async () => {
    const { nodes } = await api("/v1/nodes");
    box.replaceChildren(...nodes.map((n) => {
      const apps = Object.entries(n.apps || {}).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      return h("div.panel", { "data-node": n.id },
        h("div.page-head", { style: "margin-bottom:8px" }, h("h2", { style: "margin:0" }, n.id), h("span.pill.ok", "up"),
          h("span.sub", `started ${fmt.ago(n.started)} · reported ${fmt.ago(n.updated)}`)),
        apps.length ? h("div.table-wrap", h("table", h("thead", h("tr", h("th", "app"), h("th", "serving"), h("th", "problem"))),
          h("tbody", apps.map(([name, s]) => h("tr",
            h("td", h("a", { href: `#/apps/${encodeURIComponent(name)}` }, name)),
            h("td", s.serving ? `v${s.serving}` : "–"),
            h("td", s.failed ? h("span.pill.bad", `v${s.failed} failed: ${s.error || ""}`) : h("span.muted", "none")))))))
          : h("p.muted", "Serves no app."));
    }));
  }, err);
  return { stop };
}

// --- #/node ---
function nodeView(main) {
  const err = h("p.error");
  const box = h("div.grid.two#node");
  const sub = h("span.sub#node-sub");
  main.append(h("div.page-head", h("h1", "This node"), sub, h("span.live", "live")), err, box);
  const bar = (used, cap) => h("div.bar", h("span", { style: `width:${cap ? Math.min(100, (used / cap) * 100).toFixed(1) : 0}%` }));
  const stop = poller(async () => {
    const n = await api("/v1/node");
    const s = n.stats;
    const b = n.budgets || {};
    sub.textContent = `wisp ${n.version} · ${n.go} · ${n.apps} apps · ${n.ready ? "ready" : "not ready"}`;
    const mem = fmt.size(s.memory_reserved), memCap = fmt.size(b.memory_budget);
    const code = fmt.size(s.code_bytes), codeCap = fmt.size(b.code_cache);
    box.replaceChildren(
      h("div.panel", { "data-budget": "memory" }, h("h2", "Memory budget"),
        h("div.big-metrics", { style: "grid-template-columns:1fr 1fr" }, metric("reserved now", fmt.bytes(mem)), metric("budget", memCap ? fmt.bytes(memCap) : "none")),
        h("div", { style: "margin-top:12px" }, bar(mem, memCap)),
        h("p.muted", "Instances' memory limits and requests' buffers, reserved while they run. Past the budget a request is refused with 503 at once.")),
      h("div.panel", { "data-budget": "instances" }, h("h2", "Instances"),
        h("div.big-metrics", { style: "grid-template-columns:1fr 1fr" }, metric("running now", s.instances), metric("cap", b.max_instances || "none")),
        h("div", { style: "margin-top:12px" }, bar(s.instances, b.max_instances))),
      h("div.panel.span-2", { "data-budget": "code" }, h("h2", "Compiled code cache"),
        h("div.big-metrics", metric("modules", s.code_modules), metric("in memory", s.code_resident), metric("code size", fmt.bytes(code)),
          metric("loads from disk", s.code_loads), metric("released", s.code_evictions)),
        h("div", { style: "margin-top:12px" }, bar(code, codeCap)),
        h("p.muted", `Native code kept in memory up to ${codeCap ? fmt.bytes(codeCap) : "no limit"} (--code-cache); the rest is loaded back from the disk cache on its next request.`)));
  }, err);
  return { stop };
}

// --- start ---
// Anything the Content-Security-Policy blocks is a bug of this page: say so.
document.addEventListener("securitypolicyviolation", (e) => console.error(`blocked by the Content-Security-Policy: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const btn = e.target.querySelector("button");
  btn.disabled = true;
  const ok = await signIn($("#token").value.trim());
  btn.disabled = false;
  if (ok) {
    if (!location.hash || location.hash === "#/") location.hash = "#/apps";
    else route();
  }
});
$("#logout").addEventListener("click", () => signOut("Signed out."));
window.addEventListener("hashchange", route);
if (session.token) {
  signIn(session.token).then((ok) => (ok ? route() : signOut()));
} else {
  signOut();
}
