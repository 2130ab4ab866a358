# Shared helpers for the guest build stages. Sourced, not executed.
# Every expensive output lives in $WEFT_CACHE/<stage>-<key>, where <key> hashes every input of
# the stage (script text, pinned source hashes, toolchain versions), so a rebuild with unchanged
# inputs is a directory lookup and CI on the same machine pays the build once.
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$GUEST_DIR/.." && pwd)
: "${WEFT_CACHE:=$HOME/.cache/weft}"
: "${WEFT_SOURCES:=$REPO_DIR/../shared/sources}"
: "${JOBS:=$(nproc)}"
export WEFT_CACHE WEFT_SOURCES

log() { printf '\033[1m[guest]\033[0m %s\n' "$*" >&2; }
die() { printf '[guest] error: %s\n' "$*" >&2; exit 1; }

# name  sha256  upstream-url. The build never uses a file whose hash differs.
SOURCES_TABLE="$GUEST_DIR/sources.txt"

source_sha() { awk -v n="$1" '$1==n {print $2}' "$SOURCES_TABLE"; }

# fetch_source NAME -> prints the path of a verified copy of NAME.
fetch_source() {
  local name=$1 sha url path
  sha=$(source_sha "$name"); url=$(awk -v n="$name" '$1==n {print $3}' "$SOURCES_TABLE")
  [ -n "$sha" ] || die "unknown source $name (not in guest/sources.txt)"
  path="$WEFT_SOURCES/$name"
  if [ ! -f "$path" ]; then
    path="$WEFT_CACHE/downloads/$name"
    if [ ! -f "$path" ]; then
      log "downloading $name from $url"
      mkdir -p "$WEFT_CACHE/downloads"
      curl -fsSL --retry 3 -o "$path.part" "$url" || die "cannot download $name from $url (set WEFT_SOURCES to a folder holding it)"
      mv "$path.part" "$path"
    fi
  fi
  echo "$sha  $path" | sha256sum -c --status - || die "$path does not match its pinned sha256 $sha"
  echo "$path"
}

# native_pip NATIVE LOG ARG...: pip ARG... from the wheel ensurepip bundles with the native
# CPython at NATIVE (covered by the CPython tarball's hash), isolated from the host's Python
# (-I); its output goes to LOG, whose tail is shown when it fails.
native_pip() {
  local native=$1 logf=$2 whl; shift 2
  whl=$(find "$native/lib/python3.13/ensurepip/_bundled" -name 'pip-*.whl' 2>/dev/null | head -1)
  [ -n "$whl" ] || die "no bundled pip wheel in $native/lib/python3.13/ensurepip/_bundled"
  "$native/bin/python3.13" -I "$whl/pip" "$@" --disable-pip-version-check --no-cache-dir >"$logf" 2>&1 \
    || { tail -20 "$logf" >&2; return 1; }
}

# stage_key NAME FILE... -> hash of the stage name, the given files' bytes and extra env text.
# Files are named by their path inside the repo, so every clone (a CI checkout, a developer's)
# computes the same keys and shares one cache.
stage_key() {
  local name=$1 f; shift
  { echo "$name"; echo "${STAGE_EXTRA:-}"
    for f in "$@"; do echo "== ${f#"$REPO_DIR"/}"; cat "$f"; done; } | sha256sum | cut -c1-16
}
