# slipway: `make demo` builds the example release; `make test` runs every
# test tier. Both install what they need (hack/deps.sh, as root).
SHELL := /bin/bash
GO ?= go
ARCHES := amd64 arm64 ppc64le s390x
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)
LDFLAGS := -s -w -buildid= -X github.com/slipway-dev/slipway/internal/version.Version=$(VERSION)
GOBUILD := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
DEMO_OUT ?= out/demo

.PHONY: all build deps demo test unit lint bench generate clean

all: build

## build: bin/slipway, and bin/slipway-node-linux-ARCH and
## bin/slipway-init-linux-ARCH (static) for every architecture
build:
	$(GOBUILD) -o bin/slipway ./cmd/slipway
	@for a in $(ARCHES); do \
		echo "GOARCH=$$a go build ./cmd/slipway-node"; \
		GOARCH=$$a $(GOBUILD) -o bin/slipway-node-linux-$$a ./cmd/slipway-node || exit 1; \
		GOARCH=$$a $(GOBUILD) -o bin/slipway-init-linux-$$a ./cmd/slipway-init || exit 1; \
	done

## deps: install the tools the demo and tests use (Debian packages)
deps:
	hack/deps.sh

## demo: the example's whole release (packages and repositories, images,
## node OS disk image, update payload, SBOM; checksummed, signed, verified),
## the example cluster's PKI and Ignition configs, then the control-plane
## node booted in QEMU and upgraded to a second version from a registry
demo: deps build
	hack/fetch-inputs.sh build/inputs amd64 arm64
	hack/demo-key.sh build/keys
	bin/slipway spec validate -f examples/release.yaml
	bin/slipway release -f examples/release.yaml -o $(DEMO_OUT)/release
	bin/slipway release verify $(DEMO_OUT)/release
	bin/slipway spec validate -f examples/cluster.yaml
	bin/slipway ignition generate -f examples/cluster.yaml --pki-dir build/pki -o $(DEMO_OUT)/ignition
	bin/slipway pki check --pki-dir build/pki
	bin/slipway disk inspect $(DEMO_OUT)/release/amd64/disk/example-0.1.0-amd64.raw
	hack/demo-upgrade.sh $(DEMO_OUT)/release examples/release.yaml $(DEMO_OUT)/ignition/cp1.ign
	@echo
	@echo "apt: gpg --dearmor < $(DEMO_OUT)/release/repo/v1.33/deb/Release.key > /etc/apt/keyrings/slipway.gpg"
	@echo "     deb [signed-by=/etc/apt/keyrings/slipway.gpg] file:$$PWD/$(DEMO_OUT)/release/repo/v1.33/deb/ /"
	@echo "yum: baseurl=file://$$PWD/$(DEMO_OUT)/release/repo/v1.33/rpm/  gpgkey=file://$$PWD/$(DEMO_OUT)/release/repo/v1.33/rpm/repodata/repomd.xml.key"

## test: unit, integration and end-to-end tests with real clients
test: deps build
	hack/fetch-inputs.sh build/inputs amd64 arm64
	$(GO) test -count=1 -timeout 40m ./...

## unit: the fast tier only (no real package managers)
unit:
	$(GO) test -short ./...

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: benchmarks against peers, printed as one table
bench: deps build
	hack/fetch-inputs.sh build/inputs amd64 arm64
	bench/run.sh

generate:
	cd spec && $(GO) generate ./...

clean:
	rm -rf bin out
