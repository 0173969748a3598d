# midstream: one Makefile for every module of the workspace. Modules are discovered, so a new
# service joins build, test, lint and tidy by existing.
SHELL       := /bin/bash
GO          ?= go
# Modules are the workspace's (go.work): a new service joins every target by being added there.
MODULES     := $(sort $(patsubst $(CURDIR)/%,%,$(shell $(GO) list -m -f '{{.Dir}}')))
BIN         := $(CURDIR)/bin
LINT_VERSION := v2.15.0
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
TEST_FLAGS  ?= -race -count=1 -timeout 15m
RUN_ARGS    ?=
DEMO_ARGS   ?=

.PHONY: all build test vet lint tidy run demo bench bench-compare test-faults clean tools modules images

all: build

modules:
	@echo $(MODULES)

build:
	@mkdir -p $(BIN)
	@for m in $(MODULES); do (cd $$m && $(GO) build ./...) || exit 1; done
	$(GO) build -o $(BIN)/midstream ./cmd/midstream

vet:
	@for m in $(MODULES); do echo "vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done

# lint installs the pinned golangci-lint into bin/ when it is missing, and skips (saying so)
# only when it cannot be installed.
lint:
	@if [ ! -x $(BIN)/golangci-lint ]; then \
		echo "installing golangci-lint $(LINT_VERSION) into bin/"; \
		GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VERSION) \
		|| { echo "lint: golangci-lint could not be installed; skipping lint"; exit 0; }; \
	fi; \
	if [ -x $(BIN)/golangci-lint ]; then \
		for m in $(MODULES); do echo "lint $$m"; (cd $$m && $(BIN)/golangci-lint run --allow-parallel-runners --config $(CURDIR)/.golangci.yml ./...) || exit 1; done; \
	fi

# test is what CI runs: vet, lint, then every module's tests with the race detector.
test: vet lint
	@for m in $(MODULES); do echo "test $$m"; (cd $$m && $(GO) test $(TEST_FLAGS) ./...) || exit 1; done

tidy:
	@for m in $(MODULES); do echo "tidy $$m"; (cd $$m && $(GO) mod tidy) || exit 1; done

# run starts the all-in-one (embedded nats-server and every service) with the demo streaming
# through it, and exits when the demo ends.
run: build
	$(BIN)/midstream run --demo $(RUN_ARGS)

bench:
	$(MAKE) -C bench bench

# bench-compare BASE=<git ref> runs the benchmarks at BASE and here, and prints benchstat deltas.
bench-compare:
	$(MAKE) -C bench compare BASE=$(BASE)

clean:
	rm -rf $(BIN) bench/out

# images builds the midstream image (every service binary and the CLI, Dockerfile) and one
# image per service (--target <service>) with docker, when a Docker engine answers; without one
# it says so and exits 0, since there is nothing to build with.
IMAGE          ?= midstream/midstream
IMAGE_TAG      ?= dev
IMAGE_SERVICES := ingest scheduler compare attractor verifier metalearn
images:
	@if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then \
		echo "images: no Docker engine reachable (docker info failed); no image built"; exit 0; \
	fi; \
	set -e; \
	docker build -t $(IMAGE):$(IMAGE_TAG) .; \
	for s in $(IMAGE_SERVICES); do docker build --target $$s -t $(IMAGE)-$$s:$(IMAGE_TAG) .; done; \
	echo "images: built $(IMAGE):$(IMAGE_TAG) and $(IMAGE)-{$(IMAGE_SERVICES)}:$(IMAGE_TAG)"
