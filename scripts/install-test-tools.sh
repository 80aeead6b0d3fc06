#!/usr/bin/env bash
# install-test-tools.sh installs the servers and programs the test suite
# runs for real, besides what Go builds itself:
#
#   docker-registry  the reference OCI distribution registry (Debian
#                    package docker-registry), for tests/oci and
#                    internal/oci; the tests start it on loopback
#   chromium         Debian's headless-capable Chromium, which the
#                    dashboard's browser tests (tests/browser) drive with
#                    chromedp; fonts-dejavu-core so its screenshots
#                    render text the same on every machine
#   prometheus       Debian's Prometheus server and promtool, for
#                    tests/observability: a real server scrapes a node's
#                    /metrics and promtool checks its exposition
#
# nats-server needs no install: the fleet tests build it with `go build`
# from the version go.mod requires (internal/testnode.BuildNATS).
#
# Idempotent: it installs only what is missing and runs apt-get update only
# then. apt-get needs root (or sudo) and a Debian based system (tested on
# bookworm).
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
echo "installing ${missing[*]} (what the OCI, browser and observability tests run) with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
