//! The Wisp guest SDK for Rust: everything a Wisp app needs, over the host
//! functions of Wisp's guest ABI (docs/guest-abi.md), with no dependencies.
//!
//! - [`Request`]: the request's CGI environment (method, path, query,
//!   headers), query and form decoding, the body read with a bound.
//! - [`Response`]: built in memory and written whole by [`serve`]. A handler
//!   returns it, so a response can never be left unsent or unflushed.
//! - [`KvStore`]: key-value stores with TTLs, paged key listing, atomic
//!   increment and compare-and-swap.
//! - [`var`]: variables and secrets from wisp.toml's `[variables]`.
//! - [`log`]: log entries with levels and fields.
//! - [`outbound`]: HTTP requests to the hosts `allowed_outbound_hosts` allows.
//!
//! Every fallible call returns a [`Result`] whose [`Error`] carries the
//! [`Status`] the host answered and its message, which says what to fix
//! (which store is not declared, why a host was refused).
//!
//! # A whole app
//!
//! ```ignore
//! fn handle(req: &mut wisp::Request) -> wisp::Result<wisp::Response> {
//!     let store = wisp::KvStore::open("default")?;
//!     let visits = store.increment("visits", 1)?;
//!     let greeting = wisp::var("greeting")?.unwrap_or_default();
//!     Ok(wisp::Response::text(200, format!("{} (visit {}) at {}\n", greeting, visits, req.path())))
//! }
//!
//! wisp::reactor!(handle); // a cdylib exporting wisp_handle
//! // or, in a binary (a command): fn main() { wisp::serve(handle) }
//! ```
//!
//! Build a reactor (Wisp pre-initializes it at deploy; docs/reactors.md) as
//! a `cdylib` for `wasm32-wasi` (Rust up to 1.83, Debian's 1.63) or
//! `wasm32-wasip1` (Rust 1.78 and later). On other targets the crate
//! compiles with stand-ins that answer [`Status::Unavailable`], so `cargo
//! check` and `cargo test` of an app work on the build machine.
//!
//! # Rules
//!
//! - Call the SDK only while handling a request, never during
//!   initialization: the services fail there, and the environment is the
//!   deploy's. [`Request::from_env`] reads the request's environment through
//!   WASI's `environ_get`; `std::env` goes through wasi-libc, which keeps the
//!   first copy it read.
//! - Do not write to standard output yourself (`println!`): it would come
//!   before the response. Standard error (`eprintln!`) goes to the app's log.
//! - A Wisp instance handles one request on one thread: nothing here is
//!   meant to be shared across threads.

mod config;
mod error;
mod kv;
pub mod log;
pub mod outbound;
mod request;
mod response;
mod sys;

pub use config::var;
pub use error::{Error, Result, Status};
pub use kv::{KeyPage, KvStore};
pub use request::{parse_form, url_decode, Request};
pub use response::{json_string, serve, serve_request, Response};
