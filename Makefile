# Skyfold — the two commands of the README are `make run` and `make test`.

GO       ?= go
BIN      := bin/skyfold
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X github.com/skyfold/skyfold/internal/buildinfo.Version=$(VERSION) \
            -X github.com/skyfold/skyfold/internal/buildinfo.Commit=$(COMMIT)

# Where `make run` listens and keeps its state; empty leaves the choice to
# SKYFOLD_LISTEN / SKYFOLD_DATA_DIR, then to the defaults (127.0.0.1:8080, ./data).
LISTEN   ?=
DATA_DIR ?=

.PHONY: build deps run test bench lint fmt clean

# Every module go.mod names, the staticcheck tool of `make test` included, so
# that after the first build the tests fetch nothing.
deps:
	$(GO) mod download

build: deps
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/skyfold

# Build everything and start Skyfold on the embedded SQLite database in ./data,
# with the built-in cloud simulators and demo accounts (--demo):
#   make run LISTEN=127.0.0.1:9090 DATA_DIR=/tmp/skyfold
run: build
	./$(BIN) serve --demo $(if $(LISTEN),--listen '$(LISTEN)') $(if $(DATA_DIR),--data-dir '$(DATA_DIR)')

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
