#!/usr/bin/env bash
# Benchmarks print figures and never fail on a number. Set
# SKYFOLD_TEST_POSTGRES_DSN to include PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=${BENCH_PKGS:-./...}
go test -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-1x}" -timeout 60m $pkgs
