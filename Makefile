# docker-auth: the two commands a contributor needs are `make demo` and `make test`.
GO ?= go

.PHONY: test demo bench image-test runner-test lint build help

## test: run every test (unit, fake API, end-to-end through the built binary) with the race detector.
test:
	$(GO) test -race -count=1 ./...

## demo: run the action end to end against the in-repo fake Reoclo API on 127.0.0.1.
demo:
	$(GO) run ./internal/testkit/cmd/demo

## bench: build the binary, time its steps against the fake API and judge the targets (not run by CI);
## flags through BENCHFLAGS, e.g. make bench BENCHFLAGS='-long=false -runs 3'.
bench:
	$(GO) run ./internal/testkit/cmd/bench $(BENCHFLAGS)

## image-test: as root: runner-test's static image checks alone (size, labels, entry point, links).
image-test:
	RUNNER_TEST=1 $(GO) test -count=1 -v -run TestImage ./internal/testkit/runnertest/

## runner-test: as root: run testdata/workflows under the real nektos/act and Gitea's act on podman,
## against the fake API; build the Dockerfile with podman and check the image; rehearse the release
## (.github/release.sh) and build with Docker's classic builder. Installs what is missing; prints each
## case's time.
runner-test:
	RUNNER_TEST=1 $(GO) test -count=1 -v -timeout 60m ./internal/testkit/runnertest/

## lint: golangci-lint and actionlint at pinned versions (the workflows, then the examples/ workflows).
lint:
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 examples/*.yml

## build: the static binary the image ships, with its post and logout names, in ./bin.
build:
	CGO_ENABLED=0 $(GO) build -buildvcs=false -ldflags "-s -w" -o bin/docker-auth .
	ln -sf docker-auth bin/docker-auth-post
	ln -sf docker-auth bin/docker-auth-logout

## help: list these targets.
help:
	@awk '/^## [a-z-]+:/ { print substr($$0, 4); next } /^## / { print "    " substr($$0, 4) }' $(MAKEFILE_LIST)
