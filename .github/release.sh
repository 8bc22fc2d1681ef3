#!/usr/bin/env bash
# The steps that turn a version tag into a release, run by .github/workflows/release.yml and
# rehearsed locally by `make runner-test` against a registry on 127.0.0.1 (see
# internal/testkit/runnertest/release_test.go). Run from the repository root, on the tagged source commit.
#
#   release.sh check        the tag is vMAJOR.MINOR.PATCH[-PRERELEASE] and both action files
#                           build from source (a commit of main, not a release commit)
#   release.sh build-push   build linux/amd64 and linux/arm64 (cross-compiled, see the
#                           Dockerfile), push IMAGE:X.Y.Z, :X.Y and :X (only :X.Y.Z-rc.N for a
#                           pre-release); print the pushed index's digest
#   release.sh pin          make the release commit: its parent is the source commit and its
#                           only change is `image:` in action.yml and logout/action.yml, now
#                           docker://IMAGE@DIGEST; reuse it when the tag already points at it
#
# Environment:
#   TAG          the version tag (vX.Y.Z or vX.Y.Z-rc.N)                      all commands
#   IMAGE        the image repository, e.g. ghcr.io/reoclo/docker-auth         build-push, pin
#   DIGEST       the digest build-push printed (sha256:...)                    pin
#   SOURCE_SHA   the tagged source commit (default: HEAD)                      build-push, pin
#   ENGINE       buildx (default: BuildKit, SBOM and max-mode provenance) or podman (the
#                rehearsal: buildah, no attestations)                          build-push
#   TLS_VERIFY   false to push over plain http (the rehearsal's registry)      build-push, podman
#   PLATFORMS    default linux/amd64,linux/arm64; the rehearsal builds only the host's: Debian's
#                buildah 1.28 cannot cross-compile (see the Dockerfile)         build-push
#   GITHUB_OUTPUT  when set, build-push writes digest=..., pin writes ref=... and commit=...
set -euo pipefail

die() {
  echo "::error::$*" >&2
  exit 1
}

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1" >>"$GITHUB_OUTPUT"
  fi
}

# The `image:` line of each action file on the source commit: both build the one Dockerfile.
ACTION_FILES=(action.yml logout/action.yml)
declare -A SOURCE_IMAGE=([action.yml]='Dockerfile' [logout/action.yml]='../Dockerfile')

: "${TAG:?set TAG to the version tag}"
SOURCE_SHA="${SOURCE_SHA:-$(git rev-parse HEAD)}"

semver='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$'

check() {
  [[ "$TAG" =~ $semver ]] || die "tag '$TAG' is not vMAJOR.MINOR.PATCH[-PRERELEASE]"
  local f
  for f in "${ACTION_FILES[@]}"; do
    grep -qxF "  image: ${SOURCE_IMAGE[$f]}" "$f" ||
      die "$f at $TAG does not say 'image: ${SOURCE_IMAGE[$f]}': tag a commit of main, not a release commit"
  done
}

# image_tags prints IMAGE:X.Y.Z, and IMAGE:X.Y and IMAGE:X unless TAG is a pre-release.
image_tags() {
  local v="${TAG#v}"
  echo "${IMAGE}:${v}"
  if [[ "$v" != *-* ]]; then
    echo "${IMAGE}:${v%.*}"
    echo "${IMAGE}:${v%%.*}"
  fi
}

build_push() {
  : "${IMAGE:?set IMAGE to the image repository}"
  check
  local platforms="${PLATFORMS:-linux/amd64,linux/arm64}" digest t
  local -a tags labels tagflags=()
  mapfile -t tags < <(image_tags)
  for t in "${tags[@]}"; do
    tagflags+=(--tag "$t")
  done
  labels=(
    --label "org.opencontainers.image.revision=${SOURCE_SHA}"
    --label "org.opencontainers.image.version=${TAG#v}"
  )
  case "${ENGINE:-buildx}" in
  buildx)
    local meta
    meta=$(mktemp)
    docker buildx build . --platform "$platforms" --push \
      --provenance=mode=max --sbom=true \
      --build-arg "VERSION=${TAG}" "${labels[@]}" \
      --annotation "index:org.opencontainers.image.source=https://github.com/reoclo/docker-auth" \
      --annotation "index:org.opencontainers.image.revision=${SOURCE_SHA}" \
      --annotation "index:org.opencontainers.image.version=${TAG#v}" \
      "${tagflags[@]}" --metadata-file "$meta"
    digest=$(jq -r '."containerimage.digest"' "$meta")
    rm -f "$meta"
    ;;
  podman)
    local list digestfile tls="--tls-verify=${TLS_VERIFY:-true}"
    list="localhost/docker-auth-release:${TAG#v}"
    digestfile=$(mktemp)
    podman manifest rm "$list" >/dev/null 2>&1 || true
    # --pull=never: the rehearsal's base image is local, and no registry serves it.
    podman build --pull=never --platform "$platforms" --manifest "$list" \
      --build-arg "VERSION=${TAG}" "${labels[@]}" .
    for t in "${tags[@]}"; do
      podman manifest push --all "$tls" --digestfile "$digestfile" "$list" "docker://${t}"
    done
    digest=$(cat "$digestfile")
    rm -f "$digestfile"
    podman manifest rm "$list" >/dev/null
    ;;
  *) die "ENGINE must be buildx or podman, not '${ENGINE}'" ;;
  esac
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "the push returned no usable digest: '$digest'"
  if [ "${ENGINE:-buildx}" = buildx ]; then
    docker buildx imagetools inspect --raw "${IMAGE}@${digest}" |
      jq -e --arg want "$platforms" '[.manifests[].platform | "\(.os)/\(.architecture)"] as $have
        | $want | split(",") | all(. as $p | $have | index($p))' >/dev/null ||
      die "${IMAGE}@${digest} is not an index of ${platforms}"
  fi
  output "digest=${digest}"
  echo "$digest"
}

pin() {
  : "${IMAGE:?set IMAGE to the image repository}"
  : "${DIGEST:?set DIGEST to the pushed digest}"
  [[ "$DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]] || die "DIGEST '$DIGEST' is not sha256:<64 hex>"
  local ref="docker://${IMAGE}@${DIGEST}" current f
  output "ref=${ref}"
  current=$(git rev-parse "refs/tags/${TAG}^{commit}")

  # A re-run after the tag was already moved: reuse that commit if it is ours.
  if [ "$current" != "$SOURCE_SHA" ]; then
    if [ "$(git rev-parse "${current}^")" = "$SOURCE_SHA" ] && pinned "$current" "$ref"; then
      output "commit=${current}"
      echo "$TAG already points at release commit $current"
      return 0
    fi
    die "$TAG moved to $current while this release ran (expected $SOURCE_SHA)"
  fi
  [ "$(git rev-parse HEAD)" = "$SOURCE_SHA" ] || die "HEAD is not the source commit $SOURCE_SHA"
  git diff --quiet HEAD -- || die "the work tree has changes: run from a clean checkout"
  check

  for f in "${ACTION_FILES[@]}"; do
    sed -i "s|^  image: ${SOURCE_IMAGE[$f]//./\\.}\$|  image: ${ref}|" "$f"
  done
  pinned "" "$ref" || die "the image lines were not rewritten to ${ref}"
  # Exactly one line of each action file changed, nothing else.
  test "$(git diff --numstat | sort)" = "$(printf '1\t1\t%s\n' "${ACTION_FILES[@]}" | sort)" ||
    die "the release commit would change more than the image lines: $(git diff --stat)"

  git -c user.name='github-actions[bot]' \
    -c user.email='41898282+github-actions[bot]@users.noreply.github.com' \
    commit --quiet -m "Release ${TAG}: run the published image" \
    -m "runs.image: ${ref}" -m "Source commit: ${SOURCE_SHA}" -- "${ACTION_FILES[@]}"
  output "commit=$(git rev-parse HEAD)"
  git rev-parse HEAD
}

# pinned COMMIT REF: both action files at COMMIT (the work tree when COMMIT is empty) say
# `image: REF`.
pinned() {
  local f
  for f in "${ACTION_FILES[@]}"; do
    if [ -n "$1" ]; then
      git show "$1:$f" | grep -qxF "  image: $2" || return 1
    else
      grep -qxF "  image: $2" "$f" || return 1
    fi
  done
}

case "${1:-}" in
check) check ;;
build-push) build_push ;;
pin) pin ;;
*) die "usage: release.sh check|build-push|pin" ;;
esac
