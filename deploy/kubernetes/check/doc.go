// Package check validates Wisp's deployment files without a cluster: the
// Kubernetes manifests in deploy/kubernetes, the NATS configurations there, in
// deploy/systemd and in docs/operations.md, the systemd units and the
// Dockerfile. It has no code of its own, only tests:
//
//	cd deploy/kubernetes/check && go test ./...
//
// Every manifest is decoded strictly (an unknown or misspelled field is an
// error) into the Kubernetes API type of its apiVersion and kind, then the
// objects are checked against each other: Services select pods and target
// their ports, probes use container ports, the Wisp nodes' --nats URL names
// the NATS client Service and the user and password nats.conf expects, the
// NATS StatefulSet's replicas match the routes in nats.conf, every
// `kubectl create secret` of docs/operations.md gives the Secret every key
// the pods read, the secret key file reaches the Wisp pods read-only from a
// Secret and the systemd unit from a credential, and so on.
// NATS configurations go through nats-server's own configuration loader, as
// the server would read them.
//
// Optional checks run when their tool is present: `kubectl kustomize` renders
// the kustomization, `systemd-analyze verify` reads the units, and with
// WISP_BIN=path/to/wisp every `wisp serve` flag the files use must exist.
//
// It is a module of its own so that the Kubernetes API packages stay out of
// Wisp's dependencies.
package check
