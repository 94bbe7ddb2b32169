# nixpass: `make run` starts the app, `make test` runs everything CI runs.
SHELL := /bin/bash
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN := build/nixpass
UNAME := $(shell uname -s)

.PHONY: help run build app install test vet lint fmt-check unit e2e bench clean fuzz fuzz-ci soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ## build the nixpass binary into build/
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./app

run: build ## build and start the app (Linux: local Nix; macOS: the .app with Multipass)
ifeq ($(UNAME),Darwin)
	@command -v multipass >/dev/null || { echo "nixpass needs Multipass: brew install --cask multipass"; exit 1; }
	$(MAKE) app
	open build/nixpass.app
else
	@command -v nix-build >/dev/null || { echo "nixpass builds with Nix: sudo apt-get install nix-bin busybox-static (or see https://nixos.org/download)"; exit 1; }
	@$(BIN) list --json | grep -q '"path"' || { $(BIN) add examples/offline && $(BIN) build examples/offline; }
	$(BIN) app
endif

app: ## assemble build/nixpass.app (macOS; needs cgo and the Xcode command line tools)
	CGO_ENABLED=1 $(GO) build -ldflags "$(LDFLAGS)" -o build/nixpass-darwin ./app
	$(GO) run ./packaging/bundle -binary build/nixpass-darwin -version $(VERSION) -plist Info.plist -out build/nixpass.app

install: ## install the app (macOS) or the binary (Linux) and link the CLI
ifeq ($(UNAME),Darwin)
	$(MAKE) app
	dest=/Applications; [ -w "$$dest" ] || dest=$$HOME/Applications; mkdir -p "$$dest" && rm -rf "$$dest/nixpass.app" && cp -R build/nixpass.app "$$dest/" && \
	mkdir -p $$HOME/.local/bin && ln -sf "$$dest/nixpass.app/Contents/MacOS/nixpass" $$HOME/.local/bin/nixpass && \
	echo "installed $$dest/nixpass.app; CLI linked at ~/.local/bin/nixpass"
else
	$(MAKE) build
	mkdir -p $$HOME/.local/bin && install -m 0755 $(BIN) $$HOME/.local/bin/nixpass && echo "installed ~/.local/bin/nixpass"
endif

test: fmt-check vet lint unit fuzz-ci ## everything CI runs

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet: ## go vet for Linux and for macOS without cgo
	$(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...

lint: ## staticcheck (pinned)
	$(GO) run $(STATICCHECK) ./...

unit: ## all Go tests with the race detector, real Nix end to end included
	$(GO) test -race -count=1 -timeout 20m ./...

# Fuzz targets as PACKAGE:TARGET; `go test -fuzz` takes one target at a
# time. The seed corpus (f.Add and testdata/fuzz/) also runs in `unit`.
FUZZ_TARGETS := ./builder/config:FuzzParse ./builder/config:FuzzEdit ./builder:FuzzProtocolLine ./builder:FuzzImageTag
FUZZTIME ?= 2m

fuzz: ## fuzz each target for FUZZTIME (default 2m)
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; done

fuzz-ci: ## fuzz each target for 20s on top of the seed corpus (part of make test)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=20s

soak: ## soak the headless app: SOAK_BUILDS rebuilds (default 300), figures every 50
	bench/soak.sh $${SOAK_BUILDS:-300}

bench: ## benchmarks (figures, not pass/fail)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean: ## remove build output
	rm -rf build
