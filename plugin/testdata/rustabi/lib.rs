// lib.rs: an Extism plugin in Rust, with its own bindings to Extism's host
// ABI (written from the documented import list), no crates. Build
// (scripts/build-guests.sh), with Debian's rustc and its wasm32-wasi std:
//   rustc --edition 2021 --target wasm32-wasi --crate-type cdylib -C opt-level=2 \
//         -C strip=symbols -o rustabi.wasm lib.rs
// Functions: greet (config "greeting"), count (variable "count"), fail
// (error_set).

#[link(wasm_import_module = "extism:host/env")]
extern "C" {
    fn input_length() -> u64;
    fn input_load_u8(offset: u64) -> u8;
    fn alloc(n: u64) -> u64;
    fn length(h: u64) -> u64;
    fn load_u8(p: u64) -> u8;
    fn store_u8(p: u64, v: u8);
    fn output_set(h: u64, n: u64);
    fn error_set(h: u64);
    fn config_get(key: u64) -> u64;
    fn var_get(key: u64) -> u64;
    fn var_set(key: u64, value: u64);
}

fn input() -> Vec<u8> {
    unsafe { (0..input_length()).map(|i| input_load_u8(i)).collect() }
}

fn put(b: &[u8]) -> u64 {
    unsafe {
        let h = alloc(b.len() as u64);
        for (i, c) in b.iter().enumerate() {
            store_u8(h + i as u64, *c);
        }
        h
    }
}

fn get(h: u64) -> Option<Vec<u8>> {
    if h == 0 {
        return None;
    }
    unsafe { Some((0..length(h)).map(|i| load_u8(h + i)).collect()) }
}

fn output(b: &[u8]) {
    unsafe { output_set(put(b), b.len() as u64) }
}

#[no_mangle]
pub extern "C" fn greet() -> i32 {
    let greeting = unsafe { get(config_get(put(b"greeting"))) }.unwrap_or_else(|| b"Hello".to_vec());
    let mut out = greeting;
    out.extend_from_slice(b", ");
    out.extend_from_slice(&input());
    out.push(b'!');
    output(&out);
    0
}

#[no_mangle]
pub extern "C" fn count() -> i32 {
    let n: u64 = unsafe { get(var_get(put(b"count"))) }
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        + 1;
    let text = n.to_string();
    unsafe { var_set(put(b"count"), put(text.as_bytes())) };
    output(text.as_bytes());
    0
}

#[no_mangle]
pub extern "C" fn fail() -> i32 {
    unsafe { error_set(put(b"something went wrong")) };
    1
}
