// wisp-as: the AssemblyScript SDK for Wisp apps. See ../README.md.

export { serve, Handler } from "./serve";
export { Request } from "./request";
export { Response, ByteBuffer, isHeaderName, isHeaderValue } from "./response";
export { Param, percentDecode, parseQuery } from "./url";
export { Status, WispError, Result } from "./error";
export { Store, KeyPage } from "./kv";
export { config } from "./config";
export { log, Logger, Level, logEntry } from "./log";
export { outbound, OutboundResponse } from "./outbound";
export { jsonQuote, jsonStrings, JSONObject } from "./json";
export { nowNanos } from "./wasi";
