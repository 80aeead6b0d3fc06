// deploy.js: deploys from the browser what `wisp deploy` deploys from a
// terminal: a .wasm file, or a folder with a wisp.toml. The manifest is
// parsed by the node itself (POST /v1/manifest, the CLI's parser, with its
// line-numbered errors); the module and each [[files]] folder (packed as a
// tar archive) are uploaded as blobs, then the spec is deployed with PUT
// /v1/apps/NAME. Only files inside the dropped folder can be read, so a
// manifest cannot reach anything else, as the CLI's confinement demands.
import { makeTar } from "./wasi.js";

// filesFromInput lists an <input type=file>'s files as {path, file};
// a folder picked (webkitdirectory) gives paths like "echo/wisp.toml".
export function filesFromInput(list) {
  return [...list].map((f) => ({ path: f.webkitRelativePath || f.name, file: f }));
}

// filesFromDrop lists what was dropped, walking dropped folders.
export async function filesFromDrop(dt) {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) return filesFromInput(dt.files);
  const out = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      const file = await new Promise((res, rej) => entry.file(res, rej));
      out.push({ path: entry.fullPath.replace(/^\//, ""), file });
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const e of batch) await walk(e);
    }
  };
  for (const e of entries) await walk(e);
  if (out.length > 10000) throw new Error("the folder holds more than 10,000 files: drop the app's own folder");
  return out;
}

async function sha256(bytes) {
  if (!crypto.subtle) return ""; // not a secure context: the node hashes anyway
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return "sha256:" + [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// upload stores bytes as a blob and returns its digest.
export async function upload(api, bytes) {
  const headers = { "Content-Type": "application/octet-stream" };
  const want = await sha256(bytes);
  if (want) headers["Wisp-Digest"] = want;
  const info = await api("/v1/blobs", { method: "POST", headers, body: bytes });
  return info.digest;
}

async function put(api, spec) {
  const res = await api(`/v1/apps/${encodeURIComponent(spec.name)}`, { method: "PUT", json: spec });
  return { name: spec.name, version: res.version, unchanged: res.unchanged };
}

// deployWasm deploys one module: as a new version of base (an app's
// current spec: routes, env, files, limits kept), or as a new app.
export async function deployWasm(api, file, { name, route, base }, progress) {
  progress(`uploading ${file.name} (${file.size} bytes)…`);
  const digest = await upload(api, new Uint8Array(await file.arrayBuffer()));
  progress("deploying…");
  const spec = base ? { ...base, module: digest } : { name, module: digest, routes: [route], limits: {} };
  return put(api, spec);
}

// clean joins rel to dir ("" or "app/") and refuses paths leaving it.
function join(dir, rel, what) {
  const parts = dir ? dir.replace(/\/$/, "").split("/") : [];
  const base = parts.length;
  for (const p of rel.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === base) throw new Error(`wisp.toml: ${what} ${JSON.stringify(rel)} leads out of the folder: name files inside it`);
      parts.pop();
    } else parts.push(p);
  }
  return parts.join("/");
}

// deployFolder deploys a folder's wisp.toml with its module and files.
export async function deployFolder(api, files, toml, progress) {
  const dir = toml.path.includes("/") ? toml.path.slice(0, toml.path.lastIndexOf("/") + 1) : "";
  progress("reading wisp.toml…");
  const m = await api("/v1/manifest", { method: "POST", headers: { "Content-Type": "application/toml" }, body: await toml.file.text() });
  if (m.module_oci) throw new Error(`wisp.toml: the module is the OCI artifact ${m.module_oci}: deploy it with wisp deploy, which pulls it`);
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  const modPath = join(dir, m.module, "module");
  const mod = byPath.get(modPath);
  if (!mod) throw new Error(`wisp.toml: module ${JSON.stringify(m.module)}: there is no ${modPath} in the folder dropped`);
  const spec = m.spec;
  progress(`uploading ${m.module}…`);
  spec.module = await upload(api, new Uint8Array(await mod.arrayBuffer()));
  spec.files = [];
  for (const f of m.files || []) {
    const prefix = join(dir, f.source, "files source") + "/";
    const inside = files.filter((x) => x.path.startsWith(prefix)).sort((a, b) => (a.path < b.path ? -1 : 1));
    if (!inside.length) throw new Error(`wisp.toml: files source ${JSON.stringify(f.source)}: no files under ${prefix} in the folder dropped`);
    progress(`packing ${f.source} (${inside.length} files)…`);
    const tar = makeTar(await Promise.all(inside.map(async (x) => ({ path: x.path.slice(prefix.length), data: new Uint8Array(await x.file.arrayBuffer()) }))));
    spec.files.push({ mount: f.mount, bundle: await upload(api, tar) });
  }
  progress(`deploying ${spec.name}…`);
  return put(api, spec);
}
