// The Wisp host functions, exactly as docs/guest-abi.md declares them.
// Every one returns a status (see Status in error.ts); results go to buffers
// the guest owns. The rest of the SDK wraps these: call them directly only
// to do something the wrappers do not.

// wisp:host/error@1

@external("wisp:host/error@1", "last")
export declare function error_last(buf: usize, cap: usize, lenPtr: usize): i32;

// wisp:keyvalue/store@1

@external("wisp:keyvalue/store@1", "open")
export declare function kv_open(name: usize, nameLen: usize, handlePtr: usize): i32;

@external("wisp:keyvalue/store@1", "get")
export declare function kv_get(handle: u32, key: usize, keyLen: usize, buf: usize, cap: usize, lenPtr: usize): i32;

@external("wisp:keyvalue/store@1", "set")
export declare function kv_set(handle: u32, key: usize, keyLen: usize, val: usize, valLen: usize, ttlMs: i64): i32;

@external("wisp:keyvalue/store@1", "delete")
export declare function kv_delete(handle: u32, key: usize, keyLen: usize): i32;

@external("wisp:keyvalue/store@1", "exists")
export declare function kv_exists(handle: u32, key: usize, keyLen: usize): i32;

@external("wisp:keyvalue/store@1", "list_keys")
export declare function kv_list_keys(
  handle: u32,
  prefix: usize, prefixLen: usize,
  after: usize, afterLen: usize,
  buf: usize, cap: usize, lenPtr: usize, morePtr: usize,
): i32;

// wisp:keyvalue/atomics@1

@external("wisp:keyvalue/atomics@1", "increment")
export declare function kv_increment(handle: u32, key: usize, keyLen: usize, delta: i64, resultPtr: usize): i32;

@external("wisp:keyvalue/atomics@1", "compare_and_swap")
export declare function kv_compare_and_swap(
  handle: u32,
  key: usize, keyLen: usize,
  old: usize, oldLen: usize, expectAbsent: u32,
  val: usize, valLen: usize,
  swappedPtr: usize,
): i32;

// wisp:config/store@1

@external("wisp:config/store@1", "get")
export declare function config_get(name: usize, nameLen: usize, buf: usize, cap: usize, lenPtr: usize): i32;

// wisp:logging/logging@1

@external("wisp:logging/logging@1", "log")
export declare function logging_log(
  level: u32,
  context: usize, contextLen: usize,
  msg: usize, msgLen: usize,
  fields: usize, fieldsLen: usize,
): i32;

// wisp:http/outgoing-handler@1

@external("wisp:http/outgoing-handler@1", "send")
export declare function http_send(
  method: usize, methodLen: usize,
  url: usize, urlLen: usize,
  headers: usize, headersLen: usize,
  body: usize, bodyLen: usize,
  responsePtr: usize,
): i32;

@external("wisp:http/outgoing-handler@1", "status")
export declare function http_status(response: u32, statusPtr: usize): i32;

@external("wisp:http/outgoing-handler@1", "header")
export declare function http_header(response: u32, name: usize, nameLen: usize, buf: usize, cap: usize, lenPtr: usize): i32;

@external("wisp:http/outgoing-handler@1", "headers")
export declare function http_headers(response: u32, buf: usize, cap: usize, lenPtr: usize): i32;

@external("wisp:http/outgoing-handler@1", "read")
export declare function http_read(response: u32, buf: usize, cap: usize, nPtr: usize): i32;

@external("wisp:http/outgoing-handler@1", "close")
export declare function http_close(response: u32): i32;
