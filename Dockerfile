# The image GitHub builds for `runs.image: Dockerfile` (see action.yml).
#
# Build stage: the official Go image, pinned by digest (the multi-arch index digest of
# golang:1.26.8-bookworm). Override it with --build-arg GO_IMAGE=... ; `make runner-test`
# does that with a base image it assembles offline from the local Go toolchain.
ARG GO_IMAGE=golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d

# The build stage runs on the builder's own platform and cross-compiles for the target one
# (TARGETOS/TARGETARCH): under BuildKit a multi-arch build compiles natively instead of under
# emulation. BUILD_PLATFORM exists for builders that set no BUILDPLATFORM: the classic
# builder (`DOCKER_BUILDKIT=0 docker build`, what act uses against a Docker daemon) gets
# "linux", its own architecture, where an empty --platform would fail, and leaves
# TARGETOS/TARGETARCH empty, so Go builds for the build stage's platform, which is also the
# final stage's. Debian's buildah 1.28 (podman 4.3) expands no build argument in
# FROM --platform: it builds each platform on that platform's base image.
ARG BUILD_PLATFORM=${BUILDPLATFORM:-linux}
FROM --platform=${BUILD_PLATFORM} ${GO_IMAGE} AS build
WORKDIR /src

# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
# One static binary; the post role and the logout step (logout/action.yml) are the same
# file under other names (relative symlinks, so the final stage copies links, not binaries).
# No -trimpath: Go then leaves -ldflags, and with it main.version, out of the binary's build
# information, where the release's SBOM scanner reads the version from. The paths it keeps
# are this stage's own (/src, /go/pkg/mod).
RUN mkdir -p /out \
 && CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/docker-auth . \
 && ln -s docker-auth /out/docker-auth-post \
 && ln -s docker-auth /out/docker-auth-logout

# Final stage: nothing but the binary, its other names and a CA bundle. The bundle goes to
# /etc/ssl/cert.pem, one of the files Go's crypto/x509 reads, outside the /etc/ssl/certs
# directory it also scans: there it would be parsed twice on every HTTPS run.
FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.source="https://github.com/reoclo/docker-auth" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.title="Reoclo Docker Auth" \
      org.opencontainers.image.description="GitHub Action: docker login on a Reoclo-managed server through the Reoclo API, and logout in the post step."
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/cert.pem
COPY --from=build /out/ /
# No USER: container actions run as root so they can write the mounted /github files.
ENTRYPOINT ["/docker-auth"]
