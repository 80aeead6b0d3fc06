// server.mjs: the peer benchmark's Node.js server (bench/compare). It
// serves a WASI command module per HTTP request with node:wasi, the way a
// Node.js user would: the module is compiled once with WebAssembly.compile,
// and each request gets a fresh WASI object and a fresh instance, whose
// _start runs with the request's CGI variables as its environment and the
// request path as argv[0]. Stdout is captured by wrapping the WASI
// fd_write import; the CGI header block is split from the body minimally.
//
// Usage: node server.mjs HOST:PORT MODULE.wasm
//
// One process, one thread: Node.js runs every instance on its event loop.
import http from "node:http";
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [listen, modulePath] = process.argv.slice(2);
if (!listen || !modulePath) {
	console.error("usage: node server.mjs HOST:PORT MODULE.wasm");
	process.exit(2);
}
const sep = listen.lastIndexOf(":");
const host = listen.slice(0, sep), port = Number(listen.slice(sep + 1));
const module = await WebAssembly.compile(readFileSync(modulePath));

// cgiEnv returns the CGI variables of a request, as Wisp would set them.
function cgiEnv(req, url) {
	const [name, serverPort = "80"] = (req.headers.host || "localhost").split(":");
	const env = {
		GATEWAY_INTERFACE: "CGI/1.1",
		SERVER_SOFTWARE: "node",
		SERVER_NAME: name,
		SERVER_PORT: serverPort,
		SERVER_PROTOCOL: "HTTP/" + req.httpVersion,
		REQUEST_METHOD: req.method,
		REQUEST_URI: req.url,
		SCRIPT_NAME: url.pathname,
		PATH_INFO: "",
		PATH_TRANSLATED: "",
		QUERY_STRING: url.search.slice(1),
		REMOTE_ADDR: req.socket.remoteAddress,
		REMOTE_HOST: req.socket.remoteAddress,
		REMOTE_PORT: String(req.socket.remotePort),
		AUTH_TYPE: "",
		REMOTE_USER: "",
		CONTENT_TYPE: req.headers["content-type"] || "",
		X_MATCHED_ROUTE: url.pathname,
		X_FULL_URL: "http://" + (req.headers.host || "localhost") + req.url,
		X_RAW_PATH_INFO: "",
	};
	for (const [k, v] of Object.entries(req.headers)) {
		if (k !== "content-type" && k !== "content-length" && !k.includes("_")) {
			env["HTTP_" + k.toUpperCase().replaceAll("-", "_")] = String(v);
		}
	}
	return env;
}

// run instantiates the module for one request and returns its stdout.
function run(args, env) {
	const wasi = new WASI({ version: "preview1", args, env, returnOnExit: true });
	const imports = wasi.wasiImport;
	const fdWrite = imports.fd_write;
	const chunks = [];
	let memory;
	imports.fd_write = (fd, iovs, iovsLen, nwritten) => {
		if (fd !== 1) {
			return fdWrite(fd, iovs, iovsLen, nwritten);
		}
		const view = new DataView(memory.buffer);
		let n = 0;
		for (let i = 0; i < iovsLen; i++) {
			const ptr = view.getUint32(iovs + 8 * i, true);
			const len = view.getUint32(iovs + 8 * i + 4, true);
			chunks.push(Buffer.from(memory.buffer.slice(ptr, ptr + len)));
			n += len;
		}
		view.setUint32(nwritten, n, true);
		return 0;
	};
	const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
	memory = instance.exports.memory;
	const code = wasi.start(instance);
	if (code !== 0) {
		throw new Error("the guest exited with code " + code);
	}
	return Buffer.concat(chunks);
}

// answer writes a guest's CGI output as the HTTP response.
function answer(res, out) {
	let cut = out.indexOf("\n\n"), skip = 2;
	if (cut < 0) {
		cut = out.indexOf("\r\n\r\n");
		skip = 4;
	}
	if (cut < 0) {
		throw new Error("no blank line after the CGI header block");
	}
	let status = 200;
	for (const line of out.subarray(0, cut).toString().split("\n")) {
		const colon = line.indexOf(":");
		if (colon < 0) {
			throw new Error("CGI header line without ':': " + line);
		}
		const name = line.slice(0, colon), value = line.slice(colon + 1).trim();
		if (name.toLowerCase() === "status") {
			status = parseInt(value, 10);
		} else {
			res.setHeader(name, value);
		}
	}
	const body = out.subarray(cut + skip);
	res.setHeader("Content-Length", body.length);
	res.writeHead(status);
	res.end(body);
}

http.createServer((req, res) => {
	try {
		const url = new URL(req.url, "http://localhost");
		answer(res, run([url.pathname], cgiEnv(req, url)));
	} catch (err) {
		console.error(err);
		res.writeHead(502);
		res.end("the guest failed\n");
	}
}).listen(port, host);
