#!/usr/bin/env bash
# Builds the Debian package target/debian/bandwatch_<version>-1_<arch>.deb with cargo-deb
# (metadata: [package.metadata.deb] in crates/bandwatch/Cargo.toml). It holds the release
# binary as /usr/bin/bandwatch, the systemd unit (deploy/bandwatch.service, enabled and
# started on install), /etc/bandwatch/config.toml (bandwatch.example.toml with the history in
# /var/lib/bandwatch), bash/zsh/fish completions and the manual pages, all generated here from
# the binary itself; the maintainer scripts (deploy/debian/) create the `bandwatch` system user
# and /var/lib/bandwatch. Prints the package's path on its last line.
#
# Needs cargo-deb: cargo install cargo-deb --locked --version 3.8.0
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

if ! cargo deb --version >/dev/null 2>&1; then
  echo "build-deb: cargo-deb is missing; install it with: cargo install cargo-deb --locked --version 3.8.0" >&2
  exit 2
fi

echo "== build-deb: the release binary" >&2
cargo build --release --locked -q -p bandwatch
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/bandwatch"
gen="$target_dir/release/deb"
rm -rf "$gen"
mkdir -p "$gen/man"

echo "== build-deb: configuration, completions and manual pages" >&2
# The example config with absolute paths for the history, so that `bandwatch report` and
# friends find the service's history from any directory. Every other value is the default.
{
  echo "# Installed by the bandwatch Debian package; the service reads it (bandwatch.service)."
  echo "# It is bandwatch.example.toml with the history kept in /var/lib/bandwatch."
  echo "# After a change: bandwatch config check && systemctl restart bandwatch"
  echo "#"
  sed -e 's|^path = "./data/bandwatch.db"|path = "/var/lib/bandwatch/bandwatch.db"|' \
      -e 's|^buffer_dir = "./data/influx-buffer"|buffer_dir = "/var/lib/bandwatch/influx-buffer"|' \
      bandwatch.example.toml
} >"$gen/config.toml"
for line in 'path = "/var/lib/bandwatch/bandwatch.db"' 'buffer_dir = "/var/lib/bandwatch/influx-buffer"'; do
  if ! grep -qxF "$line" "$gen/config.toml"; then
    echo "build-deb: bandwatch.example.toml changed: cannot set $line in the packaged config; update scripts/build-deb.sh" >&2
    exit 1
  fi
done
"$bin" completions bash >"$gen/bandwatch.bash"
"$bin" completions zsh >"$gen/_bandwatch"
"$bin" completions fish >"$gen/bandwatch.fish"
"$bin" man --dir "$gen/man" >/dev/null
# Debian keeps manual pages compressed; -n keeps the archive reproducible.
gzip -9n "$gen"/man/*.1

echo "== build-deb: the package" >&2
cargo deb -p bandwatch --no-build --locked | tail -n 1
