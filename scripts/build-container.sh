#!/usr/bin/env bash
# Builds the o365fwd container image (packaging/container/Containerfile) with buildah and runs it:
# `o365fwd version` as the image's non-root user, then `validate` and `run --once` inside the
# container against the simulator on the host's loopback, with the configuration and secret
# mounted read-only and the state on a mounted volume; every record of the simulator's ledger must
# arrive in the output file. docs/CONTAINER.md.
#   scripts/build-container.sh [--ci] [--reuse]
#     --ci  when this machine cannot run an image builder at all (no buildah, no permission to
#           create a container), say exactly why and exit 0; a Containerfile that does not build or
#           an image that does not run still fails.
#     --reuse  run the checks on the image already tagged IMAGE instead of building it again
# BASE=image     the Debian 12 base (default: docker.io/library/debian:12-slim when the registry
#                answers, else one made here from Debian's mirror with debootstrap, kept as
#                localhost/o365fwd-debian12-base for the next run)
# IMAGE=name     the tag (default localhost/o365fwd:<version>)
# Needs the simulator built in $BUILD_DIR (default build; scripts/build.sh) for the run check.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
CI_MODE=0
REUSE=0
for arg in "$@"; do
  case $arg in
    --ci) CI_MODE=1 ;;
    --reuse) REUSE=1 ;;
    *) echo "usage: $0 [--ci] [--reuse]" >&2; exit 64 ;;
  esac
done
VERSION=$(sed -n 's/^project(o365fwd VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
IMAGE=${IMAGE:-localhost/o365fwd:$VERSION}
# vfs and chroot isolation work without overlayfs or user namespaces (a CI sandbox, a container).
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
BUILDAH=(buildah --storage-driver "$STORAGE_DRIVER")

RESULTS=()
FAILED=0
pass() { RESULTS+=("PASS  $1"); echo "==> PASS: $1"; }
fail() { RESULTS+=("FAIL  $1"); echo "==> FAIL: $1" >&2; FAILED=1; }
summary() {
  echo; echo "build-container summary ($((SECONDS))s):"
  printf '  %s\n' "${RESULTS[@]}"
  [ "$FAILED" -eq 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
}
skip_or_fail() {  # the builder itself cannot work here
  if [ "$CI_MODE" -eq 1 ]; then
    RESULTS+=("SKIP  $1"); echo "==> SKIP: $1"; summary; exit 0
  fi
  fail "$1"; summary; exit 1
}

work=$(mktemp -d /tmp/o365fwd-container.XXXXXX)
sim=""; ctr=""
cleanup() {
  [ -n "$sim" ] && kill "$sim" 2>/dev/null
  [ -n "$ctr" ] && "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# 1. A builder that can create a container here.
command -v buildah >/dev/null ||
  skip_or_fail "no image builder: buildah is not installed (scripts/install-deps.sh installs it)"
if ! probe=$("${BUILDAH[@]}" from scratch 2>&1); then
  skip_or_fail "buildah cannot create a container on this machine: $(echo "$probe" | tail -n 1)"
fi
"${BUILDAH[@]}" rm "$probe" >/dev/null 2>&1
pass "builder: $(buildah --version) (storage $STORAGE_DRIVER, isolation $BUILDAH_ISOLATION)"

# 2. The base image.
if [ -z "${BASE:-}" ]; then
  if "${BUILDAH[@]}" images --quiet docker.io/library/debian:12-slim >/dev/null 2>&1; then
    BASE=docker.io/library/debian:12-slim
  elif timeout 60 "${BUILDAH[@]}" pull --quiet docker.io/library/debian:12-slim >/dev/null 2>&1; then
    BASE=docker.io/library/debian:12-slim
  else
    BASE=localhost/o365fwd-debian12-base
    if ! "${BUILDAH[@]}" images --quiet "$BASE" >/dev/null 2>&1; then
      echo "docker.io does not answer: making $BASE from Debian's mirror (debootstrap, ~1 min)"
      command -v debootstrap >/dev/null ||
        skip_or_fail "no base image: docker.io does not answer and debootstrap is not installed"
      debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian \
        >"$work/debootstrap.log" 2>&1 ||
        skip_or_fail "no base image: docker.io does not answer and debootstrap failed: $(tail -n 1 "$work/debootstrap.log")"
      base_ctr=$("${BUILDAH[@]}" from scratch) &&
        "${BUILDAH[@]}" copy "$base_ctr" "$work/rootfs" / >/dev/null &&
        "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
          --cmd /bin/bash "$base_ctr" &&
        "${BUILDAH[@]}" commit --quiet "$base_ctr" "$BASE" >/dev/null ||
        skip_or_fail "buildah could not commit the debootstrap base image"
      "${BUILDAH[@]}" rm "$base_ctr" >/dev/null 2>&1
      rm -rf "$work/rootfs"
    fi
  fi
fi
pass "base image $BASE"
# A RUN step needs more than `buildah from` (a chroot, mounts): try one on the base, so a machine
# that cannot run it is told apart from a Containerfile that does not build.
printf 'FROM %s\nRUN true\n' "$BASE" >"$work/Probefile"
if ! probe=$("${BUILDAH[@]}" bud --isolation "$BUILDAH_ISOLATION" -t localhost/o365fwd-probe -f "$work/Probefile" "$work" 2>&1); then
  skip_or_fail "buildah cannot run a build step on this machine: $(echo "$probe" | tail -n 1)"
fi

# 3. The image.
start=$SECONDS
if [ "$REUSE" -eq 1 ] && "${BUILDAH[@]}" images --quiet "$IMAGE" >/dev/null 2>&1; then
  pass "image $IMAGE as built before (--reuse)"
elif "${BUILDAH[@]}" bud --isolation "$BUILDAH_ISOLATION" --layers --build-arg "BASE=$BASE" \
    --build-arg "GIT_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    -f packaging/container/Containerfile -t "$IMAGE" . >"$work/build.log" 2>&1; then
  size=$("${BUILDAH[@]}" images --format '{{.Size}}' "$IMAGE" | head -n 1)
  pass "image $IMAGE built in $((SECONDS - start)) s ($size)"
else
  tail -n 30 "$work/build.log" >&2
  fail "the Containerfile did not build (last lines above)"; summary; exit 1
fi

# 4. It runs as its non-root user.
ctr=$("${BUILDAH[@]}" from --quiet "$IMAGE") || { fail "buildah from $IMAGE"; summary; exit 1; }
run_in() { "${BUILDAH[@]}" run --isolation "$BUILDAH_ISOLATION" "$@"; }
uid=$(run_in "$ctr" -- id -u 2>&1)
version=$(run_in "$ctr" -- /usr/bin/o365fwd version 2>&1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ "$REUSE" -eq 1 ] && commit="[0-9a-f]*"  # an image built from an earlier commit
if [ "$uid" = 10001 ] && [[ "$version" == *"$VERSION ("$commit")"* ]]; then
  pass "runs as uid $uid: $version"
else
  fail "expected uid 10001 and version $VERSION ($commit), got uid '$uid', '$version'"
fi

# 5. validate and run --once inside the container, against the simulator on the host.
SIMBIN=$BUILD_DIR/sim/o365fwd-sim
if [ ! -x "$SIMBIN" ]; then
  fail "no simulator at $SIMBIN for the run check (scripts/build.sh first)"; summary; exit 1
fi
mkdir -p "$work/etc" "$work/state" "$work/out"
"$SIMBIN" --listen 127.0.0.1:0 --port-file "$work/port" --seed 11 --tenants 2 --blobs 3 \
  --records-per-blob 40 --credentials-out "$work/credentials.json" \
  --ledger "$work/ledger.ndjson" >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 300); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
bench/lib/forwarder_config.py "$work/credentials.json" -o "$work/etc/connector.yaml" \
  --secrets-dir "$work/etc" --secret-path /etc/o365fwd --secret-mode 644 \
  --collection "initial_lookback: 24h" --state-dir /srv/o365fwd-state \
  --file-sink /var/log/o365fwd/audit.ndjson --health ""
chown -R 10001:10001 "$work/state" "$work/out"
# The state is mounted beside the image's VOLUME /var/lib/o365fwd, not on it: buildah run (unlike
# podman run) sometimes binds a directory of an earlier container's run there instead of -v's.
mounts=(-v "$work/etc:/etc/o365fwd:ro" -v "$work/state:/srv/o365fwd-state" -v "$work/out:/var/log/o365fwd")
# Each command in a new container, as `podman run` does.
run_fresh() {
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1
  ctr=$("${BUILDAH[@]}" from --quiet "$IMAGE") || return 1
  run_in "${mounts[@]}" "$ctr" -- "$@"
}
if run_fresh /usr/bin/o365fwd validate -c /etc/o365fwd/connector.yaml \
    >"$work/validate.out" 2>&1; then
  pass "validate inside the container: $(tail -n 1 "$work/validate.out")"
else
  tail -n 20 "$work/validate.out" >&2; fail "validate inside the container"
fi
if run_fresh /usr/bin/o365fwd run --once -c /etc/o365fwd/connector.yaml \
    >"$work/run.out" 2>"$work/run.err"; then
  want=$(grep -c '"fate":"deliver"' "$work/ledger.ndjson" || true)
  got=$(cat "$work"/out/audit.ndjson* 2>/dev/null | wc -l)
  owner=$(stat -c %u "$work/state/state.db" 2>/dev/null)
  if [ "$want" -gt 0 ] && [ "$got" -eq "$want" ] && [ "$owner" = 10001 ]; then
    pass "run --once inside the container: $got of $want records, state.db owned by uid $owner"
  else
    ls -la "$work/state" >&2
    fail "run --once inside the container: $got of $want records, state.db owner '$owner'"
  fi
else
  tail -n 20 "$work/run.err" >&2; fail "run --once inside the container"
fi
summary
[ "$FAILED" -eq 0 ]
