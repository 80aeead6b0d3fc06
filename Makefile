# Wisp: the README's two commands are `make run` and `make test`.
GO      ?= go
BIN     := bin/wisp
DATA    ?= .wisp
LISTEN  ?= 127.0.0.1:8080
ADMIN   ?= 127.0.0.1:8081
# A count, not a duration: Go 1.26's fuzz coordinator can fail a duration-limited
# run with "context deadline exceeded" and no crasher (golang/go#75804).
FUZZTIME ?= 10000x

.PHONY: run build nats test test-short vet fuzz-smoke deploy-check bench bench-plugins examples check clean

## run: build wisp and start a node serving the example apps
run: build
	$(BIN) serve --data $(DATA) --listen $(LISTEN) --admin-listen $(ADMIN) \
		--deploy examples/hello --deploy examples/echo --deploy examples/json \
		--deploy examples/links-go --deploy examples/links-c --deploy examples/links-rust --deploy examples/links-as \
		--deploy examples/hello-js

## build: bin/wisp, a static binary (CGO_ENABLED=0: no libc needed where it runs)
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/wisp

## nats: build bin/nats-server at the version go.mod pins, for running a fleet locally
nats:
	$(GO) build -o bin/nats-server github.com/nats-io/nats-server/v2

## test: everything CI runs: vet, gofmt, all tests (installing the OCI registry they push to,
## Debian's docker-registry, the browser the dashboard's tests drive, Debian's chromium, and the guest toolchains the SDK tests build with, if missing), the concurrent core under the race detector, the
## Kubernetes manifest check, a short run of every fuzz target
test: vet
	scripts/install-test-tools.sh
	scripts/install-toolchain.sh
	scripts/install-assemblyscript.sh
	WISP_REQUIRE_REGISTRY=1 WISP_REQUIRE_TOOLCHAIN=1 WISP_REQUIRE_BROWSER=1 WISP_REQUIRE_PROMETHEUS=1 $(GO) test -count=1 ./...
	cd guest/assemblyscript && npm test
	$(GO) test -count=1 -race -short . ./gateway ./adminapi ./internal/engine ./boltstore ./memstore ./natsstore
	$(MAKE) --no-print-directory deploy-check
	$(MAKE) --no-print-directory fuzz-smoke

## deploy-check: validate deploy/ offline (Kubernetes manifests decoded strictly with their
## cross-references, NATS configs through nats-server's own parser, systemd units, Dockerfile)
deploy-check: build
	cd deploy/kubernetes/check && $(GO) vet ./... && WISP_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...

## test-short: the fast unit tests only (skips end-to-end tests)
test-short:
	$(GO) test -short ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## fuzz-smoke: run each native fuzz target briefly (FUZZTIME executions each)
fuzz-smoke:
	@for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		dir=$$(dirname $$spec); \
		for fn in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$spec | cut -d' ' -f2); do \
			echo "fuzz $$dir $$fn ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$dir || exit 1; \
		done; \
	done

## bench: the peer benchmark (Wisp, raw wazero, Node.js, workerd and a native Go
## handler under wrk) and the in-process figures, written into docs/benchmarks.md;
## installs wrk, Node.js and workerd first; then 10,000 apps on one node; then deploy propagation
## across a 3-node fleet; then hello-c with no Observer, metrics, and traces. About 14 minutes. BENCH_QUICK=1: a short
## run that checks the harness (its figures are marked as such); BENCH_FLAGS: more
## flags for bench/compare, e.g. BENCH_FLAGS='-rounds 3' (go run ./bench/compare -h).
## One line per step: each tool replaces its own section of the document.
bench: build
	scripts/install-bench-tools.sh
	$(GO) run ./bench/compare -wisp $(BIN) $(if $(BENCH_QUICK),-quick) $(BENCH_FLAGS)
	$(GO) run ./bench/manyapps -bin $(BIN) $(if $(BENCH_QUICK),-apps 500 -sample 200)
	$(GO) run ./bench/propagation $(if $(BENCH_QUICK),-deploys 10)
	$(GO) run ./bench/observability -bin $(BIN) -doc docs/benchmarks.md $(if $(BENCH_QUICK),-rounds 1 -duration 2s)

## bench-plugins: the plugin package against the Extism Go SDK and bare wazero (bench/plugins,
## its own Go module: the SDK comes from the Go module proxy); prints a table for docs/benchmarks.md
bench-plugins:
	cd bench/plugins && $(GO) run . $(BENCH_FLAGS)

## examples: rebuild the example and fixture modules from source
examples:
	scripts/build-guests.sh

clean:
	rm -rf bin $(DATA)
