# config.capnp: workerd's configuration for the components benchmark
# (bench/jscomponent). One worker runs ../hello.js, copied next to this
# file as hello.js, as a service-worker script: the same source Wisp and
# jco serve run as a component. The harness sets the listening address
# with --socket-addr http=HOST:PORT.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  serviceWorkerScript = embed "hello.js",
  compatibilityDate = "2024-09-23",
);
