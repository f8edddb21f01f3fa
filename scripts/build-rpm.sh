#!/usr/bin/env bash
# Builds the o365fwd RPMs on this Debian host and smoke-tests them (docs/INSTALL.md, packaging/rpm).
#   scripts/build-rpm.sh [--without-check] [--worktree]
#     --without-check  skip the spec's %check (only when CI already ran the unit tests on this tree)
#     --worktree       package the working tree (tracked + untracked, not ignored) instead of HEAD
# Steps: source tarball -> rpmbuild -ba --nodeps -> rpmlint -> contents, modes, scriptlets ->
# install into a scratch root -> run the installed binary -> systemd-analyze verify/security.
# Output under $BUILD_DIR (default build-rpm)/rpm; idempotent (each run starts from clean dirs).
# Exits non-zero when any check fails; prints a PASS/FAIL summary.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build-rpm}
TOP=$ROOT/$BUILD_DIR/rpm
CHECK_ARGS=()
SOURCE=head
for arg in "$@"; do
  case $arg in
    --without-check) CHECK_ARGS=(--without check) ;;
    --worktree) SOURCE=worktree ;;
    *) echo "usage: $0 [--without-check] [--worktree]" >&2; exit 64 ;;
  esac
done

. scripts/ccache-env.sh   # rpmbuild's cmake inherits the launcher: %check's build reuses test.sh's objects

RESULTS=()
FAILED=0
pass() { RESULTS+=("PASS  $1"); echo "==> PASS: $1"; }
fail() { RESULTS+=("FAIL  $1"); echo "==> FAIL: $1" >&2; FAILED=1; }
summary() {
  echo; echo "build-rpm summary ($(( SECONDS ))s):"
  printf '  %s\n' "${RESULTS[@]}"
  [ "$FAILED" -eq 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
}
die() { fail "$1"; summary; exit 1; }

for tool in git rpmbuild rpmlint rpm systemd-analyze; do
  command -v "$tool" >/dev/null || die "missing tool '$tool' (apt-get install rpm rpmlint systemd)"
done

VERSION=$(sed -n 's/^project(o365fwd VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$VERSION" ] || die "cannot read the version from CMakeLists.txt (project(o365fwd VERSION x.y.z))"
NV=o365fwd-$VERSION

# 1. Source tarball from the git tree.
rm -rf "$TOP"
mkdir -p "$TOP"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,BUILDROOT}
if [ "$SOURCE" = head ]; then
  git archive --format=tar.gz --prefix="$NV/" -o "$TOP/SOURCES/$NV.tar.gz" HEAD \
    || die "git archive HEAD"
else
  git ls-files -z -co --exclude-standard \
    | tar --null -T - --transform "s,^,$NV/," -czf "$TOP/SOURCES/$NV.tar.gz" \
    || die "tarball of the working tree"
fi
pass "source tarball $NV.tar.gz ($SOURCE)"
cp packaging/rpm/o365fwd.spec "$TOP/SPECS/"

# 2. rpmbuild (--nodeps: the EL BuildRequires do not exist as RPMs on Debian).
if rpmbuild -ba --nodeps --define "_topdir $TOP" --define "pkg_version $VERSION" "${CHECK_ARGS[@]}" \
     "$TOP/SPECS/o365fwd.spec" >"$TOP/rpmbuild.log" 2>&1; then
  pass "rpmbuild -ba ${CHECK_ARGS[*]:-(with %check)}"
else
  tail -40 "$TOP/rpmbuild.log" >&2
  die "rpmbuild (log: $TOP/rpmbuild.log)"
fi
if [ ${#CHECK_ARGS[@]} -eq 0 ]; then
  # %check ran `ctest -L unit` on the targets the spec built: every unit test must have run.
  if line=$(grep -E '^100% tests passed, 0 tests failed out of [1-9][0-9]*' "$TOP/rpmbuild.log"); then
    pass "%check: $line"
  else
    grep -E 'tests passed|Not Run|\*\*\*Failed' "$TOP/rpmbuild.log" >&2
    fail "%check did not pass every unit test (log: $TOP/rpmbuild.log)"
  fi
fi
mapfile -t RPMS < <(find "$TOP/RPMS" "$TOP/SRPMS" -name '*.rpm' | sort)
MAIN=$(find "$TOP/RPMS" -name "o365fwd-$VERSION-*.rpm" ! -name '*debug*' | head -1)
SIM=$(find "$TOP/RPMS" -name "o365fwd-sim-$VERSION-*.rpm" | head -1)
[ -n "$MAIN" ] && [ -n "$SIM" ] || die "expected o365fwd and o365fwd-sim RPMs in $TOP/RPMS"
printf '  %s\n' "${RPMS[@]#"$ROOT/"}"

# 3. rpmlint with the project's filters (Debian-host findings only).
if rpmlint -r packaging/rpm/o365fwd.rpmlintrc "${RPMS[@]}" >"$TOP/rpmlint.log" 2>&1; then
  pass "rpmlint ($(tail -1 "$TOP/rpmlint.log"))"
else
  cat "$TOP/rpmlint.log" >&2; fail "rpmlint"
fi

# 4. Contents, modes, owners, config flags.
QF='[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]'
rpm -qp --qf "$QF" "$MAIN" >"$TOP/contents.txt" 2>/dev/null
rpm -qp --qf "$QF" "$SIM" >>"$TOP/contents.txt" 2>/dev/null
cat "$TOP/contents.txt"
expect() {  # expect <description> <extended regex matched against one line of contents.txt>
  if grep -Eq "$2" "$TOP/contents.txt"; then pass "$1"; else fail "$1 (no line matches '$2')"; fi
}
expect "connector.yaml %config(noreplace) 0640 root:o365fwd" '^-rw-r----- root o365fwd cn /etc/o365fwd/connector.yaml$'
expect "/etc/o365fwd 0750 root:o365fwd" '^drwxr-x--- root o365fwd  /etc/o365fwd$'
expect "/var/lib/o365fwd 0750 o365fwd:o365fwd" '^drwxr-x--- o365fwd o365fwd  /var/lib/o365fwd$'
expect "/usr/bin/o365fwd" '^-rwxr-xr-x root root  /usr/bin/o365fwd$'
expect "/usr/bin/o365fwd-sim (sim subpackage)" '^-rwxr-xr-x root root  /usr/bin/o365fwd-sim$'
expect "systemd unit" ' /usr/lib/systemd/system/o365fwd.service$'
expect "sysusers.d entry" ' /usr/lib/sysusers.d/o365fwd.conf$'
expect "tmpfiles.d entry" ' /usr/lib/tmpfiles.d/o365fwd.conf$'
expect "license" ' l /usr/share/licenses/o365fwd/LICENSE$'
expect "docs" ' d /usr/share/doc/o365fwd/INSTALL.md$'
expect "alerting rules" ' /usr/share/o365fwd/prometheus/o365fwd-alerts.yml$'
expect "dashboard" ' /usr/share/o365fwd/grafana/o365fwd-dashboard.json$'

# 5. Scriptlets: present and valid sh.
scripts_ok=1
for tag in PREIN POSTIN PREUN POSTUN; do
  rpm -qp --qf "%{$tag}" "$MAIN" >"$TOP/$tag.sh" 2>/dev/null
  if [ ! -s "$TOP/$tag.sh" ] || grep -qx '(none)' "$TOP/$tag.sh"; then
    fail "scriptlet $tag missing"; scripts_ok=0
  elif ! sh -n "$TOP/$tag.sh"; then
    fail "scriptlet $tag: sh -n"; scripts_ok=0
  fi
done
grep -q 'useradd -r -g o365fwd' "$TOP/PREIN.sh" || { fail "%pre lacks the useradd fallback"; scripts_ok=0; }
[ "$scripts_ok" -eq 1 ] && pass "scriptlets %pre %post %preun %postun present, sh -n clean"

# 6. Install into a scratch root (no scripts: the empty root has no /bin/sh) and verify.
R=$TOP/root
rm -rf "$R"; mkdir -p "$R"
if rpm --root "$R" --initdb && rpm --root "$R" -ivh --nodeps --noscripts "$MAIN" "$SIM" >"$TOP/install.log" 2>&1; then
  pass "rpm -ivh into scratch root"
else
  cat "$TOP/install.log" >&2; fail "rpm -ivh into scratch root"
fi

# 7. Run the installed binaries.
if out=$("$R/usr/bin/o365fwd" version 2>&1) && grep -q "$VERSION" <<<"$out"; then
  pass "installed o365fwd version: $(head -1 <<<"$out")"
else
  echo "$out" >&2; fail "installed o365fwd version (expected $VERSION)"
fi
if "$R/usr/bin/o365fwd-sim" --help >/dev/null 2>&1; then pass "installed o365fwd-sim --help"
else fail "installed o365fwd-sim --help"; fi
out=$("$R/usr/bin/o365fwd" validate -c "$R/etc/o365fwd/connector.yaml" --offline 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
if [ "$rc" -eq 2 ] && grep -q 'placeholder' <<<"$out"; then
  pass "validate on the installed example exits 2 naming the placeholders"
else
  fail "validate on the installed example: exit $rc (want 2 and 'placeholder' messages)"
fi

# 8. The unit: verify (paths rewritten to the scratch root) and the hardening score.
UNIT=$R/usr/lib/systemd/system/o365fwd.service
mkdir -p "$TOP/unit-check"
sed -e "s,/usr/bin/o365fwd,$R/usr/bin/o365fwd,g" "$UNIT" >"$TOP/unit-check/o365fwd.service"
if systemd-analyze verify --man=no "$TOP/unit-check/o365fwd.service" >"$TOP/verify.log" 2>&1 \
   && ! grep -q . "$TOP/verify.log"; then
  pass "systemd-analyze verify"
else
  cat "$TOP/verify.log" >&2; fail "systemd-analyze verify"
fi
if systemd-analyze security --offline=yes --threshold=20 "$UNIT" >"$TOP/security.log" 2>&1; then
  pass "systemd-analyze security: $(grep -o 'Overall exposure level.*' "$TOP/security.log")"
else
  tail -5 "$TOP/security.log" >&2; fail "systemd-analyze security --threshold=20"
fi

summary
exit "$FAILED"
