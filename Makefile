# nixpass: `make run` starts the app, `make test` runs everything CI runs.
SHELL := /bin/bash
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Only v-tags make a version (packaging/appbundle maps anything else to 0.0.0).
VERSION ?= $(shell git describe --tags --match 'v*' --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X nixpass/app/cliout.version=$(VERSION)
BIN := build/nixpass
UNAME := $(shell uname -s)

# The cgo build's minimum macOS: without it clang stamps the build Mac's
# own version into the binary (LC_BUILD_VERSION minos), and
# LSMinimumSystemVersion 12.0 would be cosmetic. Check: vtool -show-build build/nixpass.app/Contents/MacOS/nixpass
MACOS_MIN := 12.0
DARWIN_CGO := CGO_ENABLED=1 MACOSX_DEPLOYMENT_TARGET=$(MACOS_MIN) CGO_CFLAGS="-mmacosx-version-min=$(MACOS_MIN)" CGO_LDFLAGS="-mmacosx-version-min=$(MACOS_MIN)"

.PHONY: help run build app app-universal install test test-setup vet vet-darwin-cgo lint fmt-check unit e2e bench clean fuzz fuzz-ci soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

build: ## build nixpass into build/ (Linux: the lean front build/nixpass and the full build/nixpass-full beside it)
ifeq ($(UNAME),Darwin)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./app
else
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)-full ./app
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./app/fast
endif

run: build ## build and start the app (Linux: local Nix; macOS: the .app with Multipass), installing what is missing after asking
ifeq ($(UNAME),Darwin)
	@sh packaging/install/setup-macos.sh
	$(MAKE) app
	@echo "The CLI is build/nixpass.app/Contents/MacOS/nixpass; make install links it as nixpass on your PATH."
	open build/nixpass.app
else
	@sh packaging/install/setup-linux.sh
	@$(BIN) list --json | grep -q '"path"' || { $(BIN) add examples/offline && $(BIN) build examples/offline; }
	@echo "The CLI is $(BIN); make install puts nixpass on your PATH."
	$(BIN) app
endif

# SIGN_IDENTITY="Developer ID Application: Name (TEAMID)" signs with the hardened
# runtime and a timestamp (for notarization, docs/macos.md); empty signs ad hoc.
SIGN_IDENTITY ?=

app: ## assemble build/nixpass.app (macOS; needs cgo and the Xcode command line tools; SIGN_IDENTITY=... to sign)
	$(DARWIN_CGO) $(GO) build -ldflags "$(LDFLAGS)" -o build/nixpass-darwin ./app
	$(GO) run ./packaging/bundle -binary build/nixpass-darwin -version $(VERSION) -plist Info.plist -sign "$(SIGN_IDENTITY)" -out build/nixpass.app

app-universal: ## build/nixpass.app for Intel and Apple silicon (lipo; macOS 12+)
	$(DARWIN_CGO) GOARCH=amd64 $(GO) build -ldflags "$(LDFLAGS)" -o build/nixpass-darwin-amd64 ./app
	$(DARWIN_CGO) GOARCH=arm64 $(GO) build -ldflags "$(LDFLAGS)" -o build/nixpass-darwin-arm64 ./app
	$(GO) run ./packaging/bundle -binary build/nixpass-darwin-amd64 -binary build/nixpass-darwin-arm64 -version $(VERSION) -plist Info.plist -sign "$(SIGN_IDENTITY)" -out build/nixpass.app

install: ## install the app (macOS) or the binary (Linux) and link the CLI
ifeq ($(UNAME),Darwin)
	$(MAKE) app
	set -e; dest=/Applications; [ -w "$$dest" ] || dest=$$HOME/Applications; mkdir -p "$$dest"; rm -rf "$$dest/nixpass.app"; cp -R build/nixpass.app "$$dest/"; \
	echo "installed $$dest/nixpass.app"; \
	brewbin=; if prefix=$$(brew --prefix 2>/dev/null) && [ -n "$$prefix" ]; then brewbin=$$prefix/bin; fi; \
	sh packaging/install/link-cli.sh "$$dest/nixpass.app/Contents/MacOS/nixpass" "$$HOME/.local/bin" /usr/local/bin "$$brewbin"
else
	$(MAKE) build
	mkdir -p $$HOME/.local/bin $$HOME/.local/libexec/nixpass && install -m 0755 $(BIN)-full $$HOME/.local/libexec/nixpass/nixpass-full && \
		install -m 0755 $(BIN) $$HOME/.local/bin/nixpass && echo "installed ~/.local/bin/nixpass (and ~/.local/libexec/nixpass/nixpass-full)"
	@sh packaging/install/path-hint.sh "$$HOME/.local/bin"
endif

test: test-setup fmt-check vet lint unit fuzz-ci ## everything CI runs, after making this machine what the tests need

test-setup: ## make this machine what the tests need (.ci/setup: idempotent, about a second when done; as root or through sudo)
	@if [ "$$(id -u)" = 0 ]; then .ci/setup; else echo "make test sets up this machine as root: sudo .ci/setup"; sudo .ci/setup; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet: vet-darwin-cgo ## go vet for Linux and for macOS without cgo, and the macOS cgo type check
	$(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./...

vet-darwin-cgo: ## type-check the darwin && cgo files (tray adapter, FSEvents) on any OS
	$(GO) test -count=1 -run TestDarwinCgoTypeChecks ./internal/darwincgo

lint: ## staticcheck (pinned)
	$(GO) run $(STATICCHECK) ./...

unit: ## all Go tests with the race detector, real Nix end to end included
	$(GO) test -race -count=1 -timeout 35m ./...

# Fuzz targets as PACKAGE:TARGET; `go test -fuzz` takes one target at a
# time. The seed corpus (f.Add and testdata/fuzz/) also runs in `unit`.
# A target that does not exist fails (go test -list first): `go test -fuzz`
# itself would pass, having fuzzed nothing.
FUZZ_TARGETS := ./builder/config:FuzzParse ./builder/config:FuzzEdit ./builder/build:FuzzProtocolLine ./builder/docker:FuzzImageTag ./builder/diagnose:FuzzDiagnose
FUZZTIME ?= 2m
# CI fuzzes by count, about 20 s each here: Go 1.26's coordinator can fail
# a duration-bounded run with "context deadline exceeded" at the deadline
# on a loaded machine (golang/go#75804, fixed in Go 1.27).
FUZZ_CI := ./builder/config:FuzzParse:400000x ./builder/config:FuzzEdit:16000x ./builder/build:FuzzProtocolLine:300000x \
	./builder/docker:FuzzImageTag:10000x ./builder/diagnose:FuzzDiagnose:250000x

fuzz: ## fuzz each target for FUZZTIME (default 2m)
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		$(GO) test -list "^$$fn$$" $$pkg | grep -qx "$$fn" || { echo "fuzz target $$fn not found in $$pkg" >&2; exit 1; }; \
		echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; done

fuzz-ci: ## fuzz each target for a fixed number of runs on top of the seed corpus (part of make test)
	@set -e; for t in $(FUZZ_CI); do pkg=$${t%%:*}; rest=$${t#*:}; fn=$${rest%%:*}; n=$${rest##*:}; \
		$(GO) test -list "^$$fn$$" $$pkg | grep -qx "$$fn" || { echo "fuzz target $$fn not found in $$pkg" >&2; exit 1; }; \
		echo "fuzz $$fn ($$pkg): $$n runs"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $$n $$pkg; done

soak: ## soak the headless app: SOAK_BUILDS rebuilds (default 300), figures every 50
	bench/soak.sh $${SOAK_BUILDS:-300}

bench: ## benchmarks (figures, not pass/fail), then the no-op rebuild and `nixpass version` start-up against the bare tools (NOOP_PAIRS, default 40)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...
	bench/noop.sh $${NOOP_PAIRS:-40}

clean: ## remove build output
	rm -rf build
