// Package jstest holds the end-to-end test of a componentize-js
// JavaScript wasi:http handler run in process: built by
// tools/jco/componentize-hello.mjs, decoded, planned, compiled by the
// engine and called through wasi:http/incoming-handler.handle with package
// wasi's State. It has no code of its own.
package jstest
