// worker.js: the peer benchmark's Cloudflare workerd server (bench/compare).
// It serves the WASI command module bound as guest.wasm (compiled once by
// workerd when it loads the worker) with a fresh instance per request:
// _start runs with the request's CGI variables as its environment and the
// request path as argv[0], and its stdout is the CGI response.
//
// Workers have no WASI of their own, so this file carries a minimal
// preview1 shim: arguments and environment, fd_write to stdout (captured)
// and stderr (dropped), an empty stdin, the three standard descriptors'
// fdstat, no preopened directories, the clocks, random_get and proc_exit.
// Every other import the module declares answers ENOSYS (52).
import guest from "./guest.wasm";

const ESUCCESS = 0, EBADF = 8, ENOSYS = 52, ESPIPE = 70;
const encoder = new TextEncoder();

// Exit is thrown by proc_exit to unwind the guest.
class Exit {
	constructor(code) {
		this.code = code;
	}
}

// call is the state of the request being served. Workers run one request
// at a time per isolate and run() does not yield, so one variable is enough.
let call = null;

const view = () => new DataView(call.memory.buffer);

// nulTerminated encodes strings as the NUL-terminated bytes WASI hands out.
const nulTerminated = (list) => list.map((s) => encoder.encode(s + "\0"));

function sizes(list, countPtr, sizePtr) {
	const v = view();
	v.setUint32(countPtr, list.length, true);
	v.setUint32(sizePtr, list.reduce((n, s) => n + s.length, 0), true);
	return ESUCCESS;
}

function strings(list, ptrs, buf) {
	const v = view(), bytes = new Uint8Array(call.memory.buffer);
	for (const s of list) {
		v.setUint32(ptrs, buf, true);
		bytes.set(s, buf);
		ptrs += 4;
		buf += s.length;
	}
	return ESUCCESS;
}

const wasi = {
	args_sizes_get: (count, size) => sizes(call.args, count, size),
	args_get: (ptrs, buf) => strings(call.args, ptrs, buf),
	environ_sizes_get: (count, size) => sizes(call.env, count, size),
	environ_get: (ptrs, buf) => strings(call.env, ptrs, buf),
	fd_write(fd, iovs, iovsLen, nwritten) {
		if (fd !== 1 && fd !== 2) {
			return EBADF;
		}
		const v = view();
		let n = 0;
		for (let i = 0; i < iovsLen; i++) {
			const ptr = v.getUint32(iovs + 8 * i, true), len = v.getUint32(iovs + 8 * i + 4, true);
			if (fd === 1) {
				call.out.push(new Uint8Array(call.memory.buffer.slice(ptr, ptr + len)));
			}
			n += len;
		}
		v.setUint32(nwritten, n, true);
		return ESUCCESS;
	},
	fd_read(fd, iovs, iovsLen, nread) {
		if (fd !== 0) {
			return EBADF;
		}
		view().setUint32(nread, 0, true); // an empty body: end of file at once
		return ESUCCESS;
	},
	fd_fdstat_get(fd, stat) {
		if (fd > 2) {
			return EBADF;
		}
		const v = view();
		v.setUint8(stat, 2); // character device
		v.setUint16(stat + 2, 0, true); // flags
		v.setBigUint64(stat + 8, 0x1fffffffn, true); // rights
		v.setBigUint64(stat + 16, 0n, true);
		return ESUCCESS;
	},
	fd_fdstat_set_flags: (fd) => (fd > 2 ? EBADF : ESUCCESS),
	fd_seek: (fd) => (fd > 2 ? EBADF : ESPIPE),
	fd_close: () => ESUCCESS,
	fd_prestat_get: () => EBADF, // no preopened directories
	fd_prestat_dir_name: () => EBADF,
	clock_time_get(id, precision, time) {
		view().setBigUint64(time, BigInt(Date.now()) * 1000000n, true);
		return ESUCCESS;
	},
	clock_res_get(id, res) {
		view().setBigUint64(res, 1000000n, true);
		return ESUCCESS;
	},
	random_get(buf, len) {
		for (let off = 0; off < len; off += 65536) {
			crypto.getRandomValues(new Uint8Array(call.memory.buffer, buf + off, Math.min(65536, len - off)));
		}
		return ESUCCESS;
	},
	sched_yield: () => ESUCCESS,
	proc_exit(code) {
		throw new Exit(code);
	},
};

// The import object is built once, from the imports the module declares.
const imports = {};
for (const imp of WebAssembly.Module.imports(guest)) {
	if (imp.kind === "function") {
		imports[imp.module] ??= {};
		imports[imp.module][imp.name] = (imp.module === "wasi_snapshot_preview1" && wasi[imp.name]) || (() => ENOSYS);
	}
}

// run instantiates the module for one request and returns its stdout.
function run(args, env) {
	call = { args: nulTerminated(args), env: nulTerminated(env), out: [], memory: null };
	try {
		const instance = new WebAssembly.Instance(guest, imports);
		call.memory = instance.exports.memory;
		try {
			instance.exports._start();
		} catch (err) {
			if (!(err instanceof Exit)) {
				throw err;
			}
			if (err.code !== 0) {
				throw new Error("the guest exited with code " + err.code);
			}
		}
		const out = new Uint8Array(call.out.reduce((n, c) => n + c.length, 0));
		let off = 0;
		for (const c of call.out) {
			out.set(c, off);
			off += c.length;
		}
		return out;
	} finally {
		call = null;
	}
}

// cgiEnv returns the CGI variables of a request, as Wisp would set them.
function cgiEnv(request, url) {
	const env = [
		"GATEWAY_INTERFACE=CGI/1.1",
		"SERVER_SOFTWARE=workerd",
		"SERVER_NAME=" + url.hostname,
		"SERVER_PORT=" + (url.port || "80"),
		"SERVER_PROTOCOL=HTTP/1.1",
		"REQUEST_METHOD=" + request.method,
		"REQUEST_URI=" + url.pathname + url.search,
		"SCRIPT_NAME=" + url.pathname,
		"PATH_INFO=",
		"PATH_TRANSLATED=",
		"QUERY_STRING=" + url.search.slice(1),
		"REMOTE_ADDR=127.0.0.1",
		"REMOTE_HOST=127.0.0.1",
		"AUTH_TYPE=",
		"REMOTE_USER=",
		"CONTENT_TYPE=" + (request.headers.get("content-type") || ""),
		"X_MATCHED_ROUTE=" + url.pathname,
		"X_FULL_URL=" + url.href,
		"X_RAW_PATH_INFO=",
	];
	for (const [k, v] of request.headers) {
		if (k !== "content-type" && k !== "content-length" && !k.includes("_")) {
			env.push("HTTP_" + k.toUpperCase().replaceAll("-", "_") + "=" + v);
		}
	}
	return env;
}

// respond turns a guest's CGI output into a Response.
function respond(out) {
	let cut = -1, skip = 2;
	for (let i = 0; i + 1 < out.length; i++) {
		if (out[i] === 10 && out[i + 1] === 10) {
			cut = i;
			break;
		}
		if (out[i] === 10 && out[i + 1] === 13 && out[i + 2] === 10) {
			cut = i;
			skip = 3;
			break;
		}
	}
	if (cut < 0) {
		throw new Error("no blank line after the CGI header block");
	}
	let status = 200;
	const headers = new Headers();
	for (const line of new TextDecoder().decode(out.subarray(0, cut)).split("\n")) {
		const colon = line.indexOf(":");
		if (colon < 0) {
			throw new Error("CGI header line without ':': " + line);
		}
		const name = line.slice(0, colon), value = line.slice(colon + 1).trim();
		if (name.toLowerCase() === "status") {
			status = parseInt(value, 10);
		} else {
			headers.append(name, value);
		}
	}
	return new Response(out.subarray(cut + skip), { status, headers });
}

export default {
	fetch(request) {
		try {
			const url = new URL(request.url);
			return respond(run([url.pathname], cgiEnv(request, url)));
		} catch (err) {
			console.error(String(err && err.stack || err));
			return new Response("the guest failed\n", { status: 502 });
		}
	},
};
