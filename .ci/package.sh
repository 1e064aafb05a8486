#!/usr/bin/env bash
# The Debian package as a user gets it: built (scripts/build-deb.sh, reusing the release build
# of .ci/footprint.sh), checked for its contents, installed with `dpkg -i`, then
# `bandwatch --version` and `bandwatch config check` as the `bandwatch` user with the packaged
# configuration and the service's directory and environment, `systemd-analyze verify` on the
# installed unit, and `dpkg --purge`. Where systemd is PID 1 the package starts the service,
# and it must be active (Type=notify: READY=1 came) before the purge stops it.
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."
CARGO_DEB_VERSION=3.8.0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
fail() {
  echo "package: FAIL: $*" >&2
  exit 1
}

if ! cargo deb --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
  echo "== package: installing cargo-deb $CARGO_DEB_VERSION"
  cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION" -q
fi

echo "== package: building the .deb"
deb=$(bash scripts/build-deb.sh | tail -n 1)
[ -f "$deb" ] || fail "scripts/build-deb.sh made no package (it said: $deb)"
echo "package: $deb"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for path in /usr/bin/bandwatch /etc/bandwatch/config.toml \
  /usr/share/bash-completion/completions/bandwatch \
  /usr/share/zsh/vendor-completions/_bandwatch \
  /usr/share/fish/vendor_completions.d/bandwatch.fish \
  /usr/share/man/man1/bandwatch.1.gz /usr/share/man/man1/bandwatch-run.1.gz; do
  grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done
unit=$(grep -E '^/(usr/)?lib/systemd/system/bandwatch\.service$' <<<"$contents") ||
  fail "the package lacks the systemd unit"
dpkg-deb -f "$deb" Depends | grep -q adduser || fail "the package does not depend on adduser"

# dpkg -i resolves no dependencies; adduser is the one a minimal image may lack.
command -v adduser >/dev/null || $SUDO apt-get install -y -qq adduser >/dev/null

# A package left by an earlier run would hide what this one's scripts do.
$SUDO dpkg --purge bandwatch >/dev/null 2>&1 || true
trap '$SUDO dpkg --purge bandwatch >/dev/null 2>&1 || true' EXIT

echo "== package: dpkg -i"
$SUDO dpkg -i "$deb"
getent passwd bandwatch >/dev/null || fail "no bandwatch user after install"
[ "$(stat -c %U /var/lib/bandwatch)" = bandwatch ] || fail "/var/lib/bandwatch is not the bandwatch user's"
[ "$(stat -c %U:%G:%a /etc/bandwatch/config.toml)" = root:bandwatch:640 ] ||
  fail "/etc/bandwatch/config.toml is $(stat -c %U:%G:%a /etc/bandwatch/config.toml), not root:bandwatch:640"

version=$(bandwatch --version)
echo "package: $version"
grep -Eq '^bandwatch [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]+(-dirty)?|unknown)\)$' <<<"$version" ||
  fail "bandwatch --version says '$version'"

echo "== package: bandwatch config check as the service runs it"
# The unit's user, working directory and bare environment (no ./bandwatch.toml there, so the
# packaged /etc/bandwatch/config.toml is the one read).
check=$(cd /var/lib/bandwatch && $SUDO runuser -u bandwatch -- \
  env -i PATH=/usr/bin:/bin HOME=/var/lib/bandwatch bandwatch config check) ||
  fail "bandwatch config check failed as the bandwatch user"
grep -qF '# configuration is valid' <<<"$check" || fail "config check did not say the configuration is valid"
grep -qF '/var/lib/bandwatch/bandwatch.db' <<<"$check" || fail "the packaged config does not keep the history in /var/lib/bandwatch"

echo "== package: systemd-analyze verify on the installed unit"
man_check=--man=yes
man -w bandwatch >/dev/null 2>&1 || man_check=--man=no # images that exclude /usr/share/man
systemd-analyze verify "$man_check" "$unit" || fail "systemd-analyze verify refuses the installed unit"

if [ -d /run/systemd/system ]; then
  echo "== package: the service under systemd"
  $SUDO systemctl is-active --quiet bandwatch ||
    fail "bandwatch.service is not active after install: $($SUDO systemctl status bandwatch --no-pager 2>&1 | tail -n 20)"
fi

echo "== package: dpkg --purge"
$SUDO dpkg --purge bandwatch
[ ! -e /usr/bin/bandwatch ] || fail "/usr/bin/bandwatch is left after purge"
[ ! -e /var/lib/bandwatch ] || fail "/var/lib/bandwatch is left after purge"
[ ! -e /etc/bandwatch/config.toml ] || fail "/etc/bandwatch/config.toml is left after purge"
echo "package: ok"
