#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries BINARY links, one per line (for the
# container image's run stage, so its package list is derived from the binary, not kept by hand).
# Tries each library's path as ldd prints it, resolved, and with or without /usr (Debian 12's
# merged /usr: dpkg records some libraries under /lib, others under /usr/lib). A library no
# package holds is an error naming it.
#   packaging/container/runtime-packages.sh BINARY
set -euo pipefail
binary=$1
missing=0
packages=()
while read -r lib; do
  real=$(realpath "$lib")
  pkg=""
  for p in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr$lib" "/usr$real"; do
    pkg=$(dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  if [ -z "$pkg" ]; then
    echo "runtime-packages: no Debian package holds $lib (linked by $binary)" >&2
    missing=1
  else
    packages+=("$pkg")
  fi
done < <(ldd "$binary" | awk '/=> \//{print $3}')
printf '%s\n' "${packages[@]}" | sort -u
exit "$missing"
