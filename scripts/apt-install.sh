#!/usr/bin/env bash
# Installs the named Debian packages that are not installed yet (apt-get, no recommends; sudo
# when not root). Idempotent: with everything present it does no network I/O.
#   scripts/apt-install.sh TAG PACKAGE...      (TAG prefixes the messages)
set -euo pipefail
tag=$1
shift
missing=()
for p in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "$tag: all $# packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "$tag: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
