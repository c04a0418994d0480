# chelseru: build, run, test, benchmark.
#   make run    build the server and serve (config: ./chelseru.yaml if present, else built-in defaults)
#   make test   build the plugins, vet, lint (tidy, staticcheck, import groups), and run every test
#   make bench  run the benchmarks and the load test; prints a table
GO      ?= go
BIN     := bin
CONFIG  ?= $(wildcard chelseru.yaml)
# Built-in plugins: <source dir under plugins/>:<output name>.
PLUGINS := console:console kavenegar:kavenegar_com melipayamak:meli_payamak_com parsianwebco:parsian_webco_ir smsir:sms_ir ghasedak:ghasedak_me webhook:webhook
EMBED   := pluginhost/builtin/wasm
# Version stamp printed by `chelseru version` (cmd/chelseru/version.go).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.buildVersion=$(VERSION) -X main.buildCommit=$(COMMIT)
DIST    := dist
# Release targets: GOOS/GOARCH[/GOARM].
RELEASE_TARGETS := linux/amd64 linux/arm64 linux/arm/7

export CGO_ENABLED ?= 0

.PHONY: all build plugins run test test-race vet fmt bench clean cplugin tools server bench-tool lint release

all: build

## plugins: build every built-in provider plugin to bin/plugins/<name>.wasm and embed it
plugins:
	@mkdir -p $(BIN)/plugins $(EMBED)
	@for p in $(PLUGINS); do \
		src=$${p%%:*}; name=$${p##*:}; \
		echo "wasm  plugins/$$src -> $(BIN)/plugins/$$name.wasm"; \
		GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $(BIN)/plugins/$$name.wasm ./plugins/$$src/wasm || exit 1; \
		gzip -9 -n -c $(BIN)/plugins/$$name.wasm >$(EMBED)/$$name.wasm.gz && rm -f $(EMBED)/$$name.wasm || exit 1; \
	done

## build: the server binary (with the built-in plugins embedded) and the load tool
build: server bench-tool

## server: the server binary only, with the built-in plugins embedded
server: plugins
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/chelseru ./cmd/chelseru

## bench-tool: the load tool only
bench-tool:
	$(GO) build -trimpath -o $(BIN)/chelseru-bench ./cmd/chelseru-bench

run: server
	$(BIN)/chelseru serve $(if $(CONFIG),--config $(CONFIG))

vet: plugins
	$(GO) vet ./...
	cd sdk && $(GO) vet ./... && GOOS=wasip1 GOARCH=wasm $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

## lint: go.mod tidy, staticcheck (pinned, fetched by go run), import grouping; both modules.
## The wasip1 pass skips U1000: staticcheck does not see //go:wasmexport functions as used.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: plugins
	$(GO) mod tidy -diff
	cd sdk && $(GO) mod tidy -diff
	$(GO) run $(STATICCHECK) ./...
	cd sdk && $(GO) run $(STATICCHECK) ./...
	cd sdk && $(GO) run -exec "env GOOS=wasip1 GOARCH=wasm" $(STATICCHECK) -checks inherit,-U1000 ./...
	$(GO) run ./internal/importgroups .

test: build vet lint
	$(GO) test -count=1 ./...
	cd sdk && $(GO) test -count=1 ./...

## test-race: the whole suite under the race detector (slower)
test-race: build
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...
	cd sdk && CGO_ENABLED=1 $(GO) test -race -count=1 ./...

bench: server bench-tool
	bash scripts/bench.sh

clean:
	rm -rf $(BIN) .bench $(DIST) $(EMBED)/*.wasm $(EMBED)/*.wasm.gz

## release: static, stripped, version-stamped binaries for every RELEASE_TARGETS
## platform in dist/, with SHA256SUMS (the wasm plugins are embedded in each)
release: plugins
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@for t in $(RELEASE_TARGETS); do \
		os=$$(echo $$t | cut -d/ -f1); arch=$$(echo $$t | cut -d/ -f2); arm=$$(echo $$t | cut -d/ -f3); \
		out=$(DIST)/chelseru-$(VERSION)-$$os-$$arch$${arm:+v$$arm}; \
		echo "build $$t -> $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build -trimpath \
			-ldflags "-s -w $(LDFLAGS)" \
			-o $$out ./cmd/chelseru || exit 1; \
	done
	@cd $(DIST) && sha256sum chelseru-* > SHA256SUMS && cat SHA256SUMS
