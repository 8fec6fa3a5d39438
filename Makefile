# featurehouse — run `make run` to start the server on embedded defaults,
# `make test` to run every test (installs what the tests need on Debian).

GO ?= go
BIN := bin/featurehouse

.PHONY: all build run test test-deps vet bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/featurehouse

run:
	$(GO) run ./cmd/featurehouse serve

# test-deps installs the real clients the end-to-end tests use when they are
# missing (as root, from Debian packages) and fails loudly otherwise.
test-deps:
	@./scripts/test-deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^third_party/'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go' | grep -v '^third_party/'); exit 1; }
	$(GO) vet ./...

test: test-deps vet
	$(GO) test -count=1 -timeout 20m ./...

# Short fuzzing runs of the protocol decoder and the SQL front end.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./sql
	$(GO) test -run '^$$' -fuzz FuzzMessageLoop -fuzztime 60s ./pgwire

bench:
	./bench/run.sh

clean:
	rm -rf bin featurehouse-data
