// hello.js: the JavaScript hello of the components benchmark
// (bench/jscomponent). One source, served three ways: built into a
// wasi:http component by componentize-js for Wisp and `jco serve`, and run
// as a service-worker script by workerd (workerd/config.capnp).
addEventListener("fetch", (event) =>
  event.respondWith(
    new Response("hello from JavaScript\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    }),
  ),
);
