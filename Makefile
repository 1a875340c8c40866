# The one list of build tags for the containers libraries (go.podman.io/storage and image/v5):
# no btrfs, devicemapper or gpgme C libraries are needed.
BUILDTAGS := exclude_graphdriver_btrfs exclude_graphdriver_devicemapper containers_image_openpgp exclude_disk_quota containers_image_docker_daemon_stub
export CGO_ENABLED := 1
GO ?= go
GOFLAGS_TAGS := -tags "$(BUILDTAGS)"
BIN := bin/rrun
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTO_DIR := plugins/api/proto
GEN_DIR := plugins/api/gen
PROTOS := $(shell find $(PROTO_DIR) -name '*.proto' | sort)

# A bare `make` builds (it printed the build tags, the first target, before).
.DEFAULT_GOAL := build

.PHONY: build monitor test demo generate check-generate lint bench examples print-tags

# rrun-monitor, the resident monitor of every detached container on the warm
# path, is C (docs/internal.md, "The small monitor of a detached container"):
# static, so it runs wherever rrun does; MONITOR_OUT lets the tests build it
# elsewhere.
MONITOR_OUT ?= bin/rrun-monitor
MONITOR_CFLAGS := -std=gnu11 -static -Os -s -ffunction-sections -fdata-sections -Wl,--gc-sections -Wall -Wextra

print-tags:
	@echo $(BUILDTAGS)

build: monitor
	$(GO) build $(GOFLAGS_TAGS) -o $(BIN) ./cmd/rrun
	CGO_ENABLED=0 $(GO) build -o bin/rrun-init ./cmd/rrun-init
	$(GO) build -ldflags "-s -w -linkmode external -extldflags -static" -o bin/rrun-nsinit ./cmd/rrun-nsinit

monitor:
	@mkdir -p $(dir $(MONITOR_OUT))
	$(CC) $(MONITOR_CFLAGS) -o $(MONITOR_OUT) cmd/rrun-monitor/*.c

examples:
	$(GO) build -o bin/plugins/rrun-storage-rootfsdir ./plugins/examples/rootfsdir

# The whole suite: unit, conformance and end-to-end tests. Started as root it
# re-runs itself as an unprivileged user (see test/run-as-user.sh).
test:
	./test/run-suite.sh

demo:
	./test/demo.sh

generate:
	@command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler"; exit 1; }
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	$(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	rm -rf $(GEN_DIR)
	mkdir -p $(GEN_DIR)
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc -I $(PROTO_DIR) \
		--go_out=$(GEN_DIR) --go_opt=module=github.com/rrun-project/rrun/$(GEN_DIR) \
		--go-grpc_out=$(GEN_DIR) --go-grpc_opt=module=github.com/rrun-project/rrun/$(GEN_DIR) \
		$(PROTOS)

check-generate: generate
	@git diff --exit-code -- $(GEN_DIR) && test -z "$$(git status --porcelain -- $(GEN_DIR))" \
		|| { echo "generated code is stale: run make generate and commit"; exit 1; }

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet $(GOFLAGS_TAGS) ./...

bench: build
	./bench/run-vs-peers.sh

# Every fuzz target (any func FuzzXxx in a _test.go file), one at a time,
# for FUZZTIME each; CI runs them briefly (see test/fuzz.sh).
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) TAGS="$(BUILDTAGS)" ./test/fuzz.sh

# The Slurm SPANK plugin (docs/slurm.md): needs libslurm-dev's slurm/spank.h.
.PHONY: slurm
slurm:
	@mkdir -p bin
	$(CC) -O2 -Wall -Wextra -Wno-unused-parameter -fPIC -shared -o bin/spank_rrun.so integrations/slurm/spank_rrun.c
	$(CC) -O2 -Wall -static -o bin/rrun-slurm-pause integrations/slurm/pause.c
