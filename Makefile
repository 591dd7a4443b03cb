# Skyfold — the two commands of the README are `make run` and `make test`.

GO       ?= go
BIN      := bin/skyfold
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X github.com/skyfold/skyfold/internal/buildinfo.Version=$(VERSION) \
            -X github.com/skyfold/skyfold/internal/buildinfo.Commit=$(COMMIT)

.PHONY: build run test bench lint fmt clean

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/skyfold

# Build everything and start Skyfold on the embedded SQLite database in ./data,
# with the built-in cloud simulators and demo accounts (--demo).
run: build
	./$(BIN) serve --demo

# The whole suite: formatting, vet, staticcheck, every test (on PostgreSQL too
# when SKYFOLD_TEST_POSTGRES_DSN is set).
test:
	bash scripts/test.sh

# Benchmarks print figures; they never fail on a number.
bench:
	bash scripts/bench.sh

fmt:
	gofmt -w cmd internal

clean:
	rm -rf bin .test-output
