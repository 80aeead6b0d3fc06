//! Key-value stores (`wisp:keyvalue/store@1` and `wisp:keyvalue/atomics@1`).

use std::time::Duration;

use crate::error::{arg, check, fetch, fetch_with, Error, Result};

/// The buffer a page of keys is read into at first: as many keys as fit are
/// returned (at most 1,000), so a larger buffer means fewer calls, each of
/// which counts toward the request's `kv_ops`.
const KEYS_BUFFER: usize = 16 * 1024;
use crate::sys;

/// An open key-value store. An app reaches the stores its wisp.toml
/// declares (`key_value_stores = ["default"]`); apps declaring the same
/// label share one store. Keys are 1 to 512 bytes of UTF-8 without NUL;
/// values are bytes. Every call counts toward the request's `kv_ops` limit.
#[derive(Debug)]
pub struct KvStore {
    handle: u32,
}

/// One page of keys, from [`KvStore::list_keys`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPage {
    /// The keys, in bytewise order.
    pub keys: Vec<String>,
    /// More keys follow the last one: pass it as `after` to read on.
    pub more: bool,
}

impl KvStore {
    /// Opens the store `name`; [`crate::Status::Denied`] if the app does not
    /// declare it.
    pub fn open(name: &str) -> Result<KvStore> {
        let (p, n) = arg(name.as_bytes(), "the store name")?;
        let mut handle = 0u32;
        // SAFETY: p/n describe name; handle is a live local.
        check(unsafe { sys::kv_open(p, n, &mut handle) }, "kv open")?;
        Ok(KvStore { handle })
    }

    /// The value of `key`, or None if it is absent (or expired).
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let (k, kn) = arg(key.as_bytes(), "the key")?;
        // SAFETY: the closure gets a buffer of cap bytes and a u32 to write.
        match fetch(|buf, cap, len| unsafe { sys::kv_get(self.handle, k, kn, buf, cap, len) }) {
            Ok(v) => Ok(Some(v)),
            Err(sys::NOT_FOUND) => Ok(None),
            Err(code) => Err(Error::host(code, "kv get")),
        }
    }

    /// The value of `key` as text (invalid UTF-8 becomes U+FFFD), or None.
    pub fn get_string(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Stores `value` under `key`, with no expiry.
    pub fn set(&self, key: &str, value: impl AsRef<[u8]>) -> Result<()> {
        self.set_raw(key, value.as_ref(), 0)
    }

    /// Stores `value` under `key`, expiring `ttl` later (rounded down to
    /// milliseconds; at least 1 ms).
    pub fn set_with_ttl(&self, key: &str, value: impl AsRef<[u8]>, ttl: Duration) -> Result<()> {
        let ms = ttl.as_millis().clamp(1, i64::MAX as u128) as i64;
        self.set_raw(key, value.as_ref(), ms)
    }

    fn set_raw(&self, key: &str, value: &[u8], ttl_ms: i64) -> Result<()> {
        let (k, kn) = arg(key.as_bytes(), "the key")?;
        let (v, vn) = arg(value, "the value")?;
        // SAFETY: the pointers and lengths describe key and value.
        check(
            unsafe { sys::kv_set(self.handle, k, kn, v, vn, ttl_ms) },
            "kv set",
        )
    }

    /// Removes `key`; removing an absent key is not an error.
    pub fn delete(&self, key: &str) -> Result<()> {
        let (k, kn) = arg(key.as_bytes(), "the key")?;
        // SAFETY: k/kn describe key.
        check(unsafe { sys::kv_delete(self.handle, k, kn) }, "kv delete")
    }

    /// Whether `key` is present.
    pub fn exists(&self, key: &str) -> Result<bool> {
        let (k, kn) = arg(key.as_bytes(), "the key")?;
        // SAFETY: k/kn describe key.
        match unsafe { sys::kv_exists(self.handle, k, kn) } {
            sys::OK => Ok(true),
            sys::NOT_FOUND => Ok(false),
            code => Err(Error::host(code, "kv exists")),
        }
    }

    /// One page of the keys starting with `prefix` that sort after `after`
    /// (None: from the start), at most 1,000.
    pub fn list_keys(&self, prefix: &str, after: Option<&str>) -> Result<KeyPage> {
        let (p, pn) = arg(prefix.as_bytes(), "the prefix")?;
        let (a, an) = arg(after.unwrap_or("").as_bytes(), "after")?;
        let mut more = 0u32;
        // SAFETY: the closure gets a buffer of cap bytes and a u32 to write;
        // more is a live local.
        let data = fetch_with(KEYS_BUFFER, |buf, cap, len| unsafe {
            sys::kv_list_keys(self.handle, p, pn, a, an, buf, cap, len, &mut more)
        })
        .map_err(|code| Error::host(code, "kv list_keys"))?;
        let keys = data
            .split(|&b| b == 0)
            .filter(|k| !k.is_empty())
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        Ok(KeyPage {
            keys,
            more: more != 0,
        })
    }

    /// Every key starting with `prefix`, in bytewise order, read page by page.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let mut all: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.list_keys(prefix, after.as_deref())?;
            let more = page.more && !page.keys.is_empty();
            all.extend(page.keys);
            if !more {
                return Ok(all);
            }
            after = all.last().cloned();
        }
    }

    /// Adds `delta` to the value of `key`, a decimal integer (an absent key
    /// counts as 0), atomically, and returns the new value.
    /// [`crate::Status::Invalid`] if the value is not a decimal integer,
    /// [`crate::Status::Limit`] on overflow.
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        let (k, kn) = arg(key.as_bytes(), "the key")?;
        let mut n = 0i64;
        // SAFETY: k/kn describe key; n is a live local.
        check(
            unsafe { sys::kv_increment(self.handle, k, kn, delta, &mut n) },
            "kv increment",
        )?;
        Ok(n)
    }

    /// Sets `key` to `new` if its value is `old` (or, with `old` None, if it
    /// is absent), atomically; returns whether it did.
    pub fn compare_and_swap(&self, key: &str, old: Option<&[u8]>, new: &[u8]) -> Result<bool> {
        let (k, kn) = arg(key.as_bytes(), "the key")?;
        let (o, on) = arg(old.unwrap_or(b""), "the old value")?;
        let (v, vn) = arg(new, "the new value")?;
        let mut swapped = 0u32;
        // SAFETY: the pointers and lengths describe key, old and new;
        // swapped is a live local.
        let code = unsafe {
            sys::kv_compare_and_swap(
                self.handle,
                k,
                kn,
                o,
                on,
                old.is_none() as u32,
                v,
                vn,
                &mut swapped,
            )
        };
        check(code, "kv compare_and_swap")?;
        Ok(swapped != 0)
    }
}
