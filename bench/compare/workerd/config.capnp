# config.capnp: workerd's configuration for the peer benchmark
# (bench/compare). One worker, worker.js, serves the module embedded as
# guest.wasm. The harness copies both files and the module next to this
# one and sets the listening address with --socket-addr http=HOST:PORT.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "guest.wasm", wasm = embed "guest.wasm"),
  ],
  compatibilityDate = "2024-09-23",
);
