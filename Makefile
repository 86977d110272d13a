# Xphone — the two commands a newcomer needs: `make run` and `make test`.
GO ?= go

.PHONY: run test deps bench fmt vet

## run: serve https://HOST:81/xphone/ with the embedded default config
run:
	$(GO) run ./cmd/xphone

## test: install test dependencies (Chromium), then vet and run every test
test:
	./scripts/test.sh

## deps: install the system packages the tests need (idempotent, root)
deps:
	./scripts/install-deps.sh

## bench: hot-path benchmarks (allocations are reported)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./sfu/ ./sfu/engine/ ./sfu/mixer/ ./sfu/rtcpclock/ ./audiolevel/

fmt:
	gofmt -l -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...
