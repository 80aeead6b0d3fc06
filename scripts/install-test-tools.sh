#!/usr/bin/env bash
# install-test-tools.sh installs the servers the test suite runs for real,
# besides what Go builds itself:
#
#   docker-registry  the reference OCI distribution registry (Debian
#                    package docker-registry), for tests/oci and
#                    internal/oci; the tests start it on loopback
#
# nats-server needs no install: the fleet tests build it with `go build`
# from the version go.mod requires (internal/testnode.BuildNATS).
#
# Idempotent: it installs only what is missing and runs apt-get update only
# then. apt-get needs root (or sudo) and a Debian based system (tested on
# bookworm).
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1; then
	exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
echo "installing docker-registry (the OCI registry the tests push to) with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
