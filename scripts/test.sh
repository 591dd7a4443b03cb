#!/usr/bin/env bash
# The whole test suite: gofmt, go vet, staticcheck and every Go test. Tests
# that touch the store run on SQLite, and on PostgreSQL as well when
# SKYFOLD_TEST_POSTGRES_DSN is set. The full go test output is kept in
# .test-output/go-test.log; this script prints the package lines, failures
# and a summary.
set -uo pipefail
cd "$(dirname "$0")/.."

out=.test-output
mkdir -p "$out"
fail=0

echo "== gofmt"
unformatted=$(gofmt -l cmd internal)
if [ -n "$unformatted" ]; then
	echo "these files need gofmt:"; echo "$unformatted"; fail=1
fi

echo "== go vet"
go vet ./... || fail=1

# staticcheck is pinned by the tool directive in go.mod: the first build
# downloads it with the other modules, so nothing is fetched here.
echo "== staticcheck $(go list -m -f '{{.Version}}' honnef.co/go/tools)"
go tool staticcheck ./... || fail=1

if [ -n "${SKYFOLD_TEST_POSTGRES_DSN:-}" ]; then
	echo "== go test (stores: sqlite, postgres)"
else
	echo "== go test (stores: sqlite; set SKYFOLD_TEST_POSTGRES_DSN to add postgres)"
fi
go test -count=1 -p 2 -timeout 30m -v ./... > "$out/go-test.log" 2>&1
rc=$?
[ $rc -ne 0 ] && fail=1

# Package results, then every failing test with its output.
grep -E '^(ok|FAIL|---|panic:|\?)\s' "$out/go-test.log" | grep -vE '^--- (PASS|SKIP)' | grep -vE '^\?' || true
if [ $rc -ne 0 ]; then
	echo "== failures (full log: $out/go-test.log)"
	grep -E -B2 -A25 '^\s*--- FAIL' "$out/go-test.log" | head -400
fi

passed=$(grep -cE '^\s*--- PASS' "$out/go-test.log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$out/go-test.log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$out/go-test.log" || true)
pg=$(grep -cE '^\s*--- PASS: .*/postgres' "$out/go-test.log" || true)
sq=$(grep -cE '^\s*--- PASS: .*/sqlite' "$out/go-test.log" || true)
echo "== stores: $sq sqlite subtests passed, $pg postgres subtests passed"
if [ "$skipped" -gt 0 ]; then
	echo "== skipped tests and why:"
	awk -f scripts/skipped.awk "$out/go-test.log"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $fail
