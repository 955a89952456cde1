# The integration layer's Functions app. `make help` lists the targets.
#
# The two commands a new machine needs:
#   make run    set up and run the product locally against simulated partners
#   make test   set up and run every test (what .ci/run calls)

SHELL := /usr/bin/env bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
# This machine's default GOFLAGS turn VCS stamping off; the binary reports its revision.
export GOFLAGS :=

TOOLS       := $(CURDIR)/.tools
AZURITE     := $(TOOLS)/node_modules/.bin/azurite-blob
STATICCHECK := $(TOOLS)/bin/staticcheck
AZURITE_VERSION     := 3.37.0
STATICCHECK_VERSION := v0.8.2
PKGS        := ./...
TEST_TIMEOUT := 20m

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_\/-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: $(AZURITE) postgres ## install what the tests need (Azurite, PostgreSQL server binaries)

$(AZURITE):
	npm install --no-audit --no-fund --loglevel=error --prefix $(TOOLS) azurite@$(AZURITE_VERSION)

.PHONY: postgres
postgres: ## make sure the PostgreSQL server binaries are installed
	@scripts/ensure-postgres.sh

$(STATICCHECK):
	GOBIN=$(TOOLS)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: build
build: ## build ./handler for linux/amd64, as Azure runs it
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -buildvcs=auto -trimpath -o handler .

.PHONY: test
test: tools ## set up and run every test (unit, PostgreSQL, Azurite, devhost end-to-end)
	AZURITE_BIN=$(AZURITE) go test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

.PHONY: test-race
test-race: tools ## every test under the race detector
	AZURITE_BIN=$(AZURITE) go test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

.PHONY: bench
bench: tools ## run the benchmarks (figures go in the README's performance section)
	AZURITE_BIN=$(AZURITE) go test -run '^$$' -bench . -benchmem -count=1 -timeout 30m $(PKGS)

.PHONY: run
run: postgres ## run the product locally on http://127.0.0.1:7071 (throwaway PostgreSQL, simulated partners)
	@mkdir -p .run
	go build -buildvcs=auto -o .run/handler .
	.run/handler dev

.PHONY: migrate
migrate: ## apply migrations to DATABASE_URL
	go run . migrate

.PHONY: lint
lint: $(STATICCHECK) ## gofmt, go vet, staticcheck, go mod tidy check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet $(PKGS)
	$(STATICCHECK) $(PKGS)
	@cp go.mod /tmp/go.mod.lint && cp go.sum /tmp/go.sum.lint && go mod tidy && \
	  if ! diff -q go.mod /tmp/go.mod.lint >/dev/null || ! diff -q go.sum /tmp/go.sum.lint >/dev/null; then \
	    echo "go mod tidy changed go.mod/go.sum"; exit 1; fi

.PHONY: clean
clean: ## remove build output and local state (.run, dist)
	rm -rf handler dist .run
