//! The host functions of docs/guest-abi.md, as raw imports.
//!
//! On `wasm32` these are the module's imports. On any other target (a
//! `cargo check`, `cargo test` or `cargo doc` on the build machine) each
//! function answers `UNAVAILABLE` and `last` says why, so the crate and the
//! apps using it compile and their pure parts can be tested natively.
#![allow(clippy::too_many_arguments)]

/// The status codes of the guest ABI.
pub const OK: i32 = 0;
pub const NOT_FOUND: i32 = 1;
pub const BUFFER_TOO_SMALL: i32 = 2;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "wisp:host/error@1")]
    extern "C" {
        #[link_name = "last"]
        pub fn last(buf: *mut u8, cap: u32, len: *mut u32) -> i32;
    }

    #[link(wasm_import_module = "wisp:keyvalue/store@1")]
    extern "C" {
        #[link_name = "open"]
        pub fn kv_open(name: *const u8, name_len: u32, handle: *mut u32) -> i32;
        #[link_name = "get"]
        pub fn kv_get(
            h: u32,
            key: *const u8,
            key_len: u32,
            buf: *mut u8,
            cap: u32,
            len: *mut u32,
        ) -> i32;
        #[link_name = "set"]
        pub fn kv_set(
            h: u32,
            key: *const u8,
            key_len: u32,
            val: *const u8,
            val_len: u32,
            ttl_ms: i64,
        ) -> i32;
        #[link_name = "delete"]
        pub fn kv_delete(h: u32, key: *const u8, key_len: u32) -> i32;
        #[link_name = "exists"]
        pub fn kv_exists(h: u32, key: *const u8, key_len: u32) -> i32;
        #[link_name = "list_keys"]
        pub fn kv_list_keys(
            h: u32,
            prefix: *const u8,
            prefix_len: u32,
            after: *const u8,
            after_len: u32,
            buf: *mut u8,
            cap: u32,
            len: *mut u32,
            more: *mut u32,
        ) -> i32;
    }

    #[link(wasm_import_module = "wisp:keyvalue/atomics@1")]
    extern "C" {
        #[link_name = "increment"]
        pub fn kv_increment(
            h: u32,
            key: *const u8,
            key_len: u32,
            delta: i64,
            result: *mut i64,
        ) -> i32;
        #[link_name = "compare_and_swap"]
        pub fn kv_compare_and_swap(
            h: u32,
            key: *const u8,
            key_len: u32,
            old: *const u8,
            old_len: u32,
            expect_absent: u32,
            new: *const u8,
            new_len: u32,
            swapped: *mut u32,
        ) -> i32;
    }

    #[link(wasm_import_module = "wisp:config/store@1")]
    extern "C" {
        #[link_name = "get"]
        pub fn config_get(
            name: *const u8,
            name_len: u32,
            buf: *mut u8,
            cap: u32,
            len: *mut u32,
        ) -> i32;
    }

    #[link(wasm_import_module = "wisp:logging/logging@1")]
    extern "C" {
        #[link_name = "log"]
        pub fn log(
            level: u32,
            context: *const u8,
            context_len: u32,
            msg: *const u8,
            msg_len: u32,
            fields: *const u8,
            fields_len: u32,
        ) -> i32;
    }

    #[link(wasm_import_module = "wisp:http/outgoing-handler@1")]
    extern "C" {
        #[link_name = "send"]
        pub fn http_send(
            method: *const u8,
            method_len: u32,
            url: *const u8,
            url_len: u32,
            headers: *const u8,
            headers_len: u32,
            body: *const u8,
            body_len: u32,
            response: *mut u32,
        ) -> i32;
        #[link_name = "status"]
        pub fn http_status(r: u32, status: *mut u32) -> i32;
        #[link_name = "header"]
        pub fn http_header(
            r: u32,
            name: *const u8,
            name_len: u32,
            buf: *mut u8,
            cap: u32,
            len: *mut u32,
        ) -> i32;
        #[link_name = "headers"]
        pub fn http_headers(r: u32, buf: *mut u8, cap: u32, len: *mut u32) -> i32;
        #[link_name = "read"]
        pub fn http_read(r: u32, buf: *mut u8, cap: u32, n: *mut u32) -> i32;
        #[link_name = "close"]
        pub fn http_close(r: u32) -> i32;
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        #[link_name = "environ_sizes_get"]
        pub fn environ_sizes_get(count: *mut u32, size: *mut u32) -> i32;
        #[link_name = "environ_get"]
        pub fn environ_get(environ: *mut *mut u8, buf: *mut u8) -> i32;
    }
}

#[cfg(target_arch = "wasm32")]
pub use imports::*;

/// Stand-ins for the imports on targets other than wasm32: every call is
/// UNAVAILABLE.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    const UNAVAILABLE: i32 = 6;

    const MESSAGE: &[u8] = b"the Wisp host functions exist only in a wasm32 module run by Wisp";

    pub unsafe fn last(buf: *mut u8, cap: u32, len: *mut u32) -> i32 {
        *len = MESSAGE.len() as u32;
        if (cap as usize) < MESSAGE.len() {
            return super::BUFFER_TOO_SMALL;
        }
        std::ptr::copy_nonoverlapping(MESSAGE.as_ptr(), buf, MESSAGE.len());
        super::OK
    }
    pub unsafe fn kv_open(_: *const u8, _: u32, _: *mut u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_get(_: u32, _: *const u8, _: u32, _: *mut u8, _: u32, _: *mut u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_set(_: u32, _: *const u8, _: u32, _: *const u8, _: u32, _: i64) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_delete(_: u32, _: *const u8, _: u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_exists(_: u32, _: *const u8, _: u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_list_keys(
        _: u32,
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
        _: *mut u8,
        _: u32,
        _: *mut u32,
        _: *mut u32,
    ) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_increment(_: u32, _: *const u8, _: u32, _: i64, _: *mut i64) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn kv_compare_and_swap(
        _: u32,
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
        _: u32,
        _: *const u8,
        _: u32,
        _: *mut u32,
    ) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn config_get(_: *const u8, _: u32, _: *mut u8, _: u32, _: *mut u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn log(
        _: u32,
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
    ) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn http_send(
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
        _: *const u8,
        _: u32,
        _: *mut u32,
    ) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn http_status(_: u32, _: *mut u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn http_header(
        _: u32,
        _: *const u8,
        _: u32,
        _: *mut u8,
        _: u32,
        _: *mut u32,
    ) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn http_headers(_: u32, _: *mut u8, _: u32, _: *mut u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn http_read(_: u32, _: *mut u8, _: u32, _: *mut u32) -> i32 {
        UNAVAILABLE
    }
    pub unsafe fn http_close(_: u32) -> i32 {
        UNAVAILABLE
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

/// Reads the environment of the request being handled, as `KEY=VALUE`
/// byte strings, straight from WASI's `environ_get` (never from a copy made
/// at start-up, which in a reactor would be the deploy's).
#[cfg(target_arch = "wasm32")]
pub fn environ() -> Vec<Vec<u8>> {
    let (mut count, mut size) = (0u32, 0u32);
    // SAFETY: both pointers are to live locals.
    if unsafe { environ_sizes_get(&mut count, &mut size) } != 0 || count == 0 {
        return Vec::new();
    }
    let mut ptrs: Vec<*mut u8> = vec![std::ptr::null_mut(); count as usize];
    let mut buf = vec![0u8; size as usize];
    // SAFETY: ptrs has room for count pointers and buf for size bytes, as
    // environ_sizes_get asked.
    if unsafe { environ_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()) } != 0 {
        return Vec::new();
    }
    let base = buf.as_ptr() as usize;
    ptrs.iter()
        .filter_map(|&p| {
            let start = (p as usize).checked_sub(base)?;
            let rest = buf.get(start..)?;
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            Some(rest[..end].to_vec())
        })
        .collect()
}

/// Reads the process's environment (targets other than wasm32).
#[cfg(not(target_arch = "wasm32"))]
pub fn environ() -> Vec<Vec<u8>> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.to_string_lossy().into_owned().into_bytes();
            kv.push(b'=');
            kv.extend_from_slice(v.to_string_lossy().as_bytes());
            kv
        })
        .collect()
}
