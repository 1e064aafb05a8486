#!/usr/bin/env bash
# The external stores and exporters' real counterparts: Prometheus (promtool), InfluxDB 1.x
# from Debian's packages (tests start their own private servers on free ports), and the
# MariaDB and PostgreSQL servers these machines run (started here if they stopped).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v promtool >/dev/null || ! command -v influxd >/dev/null; then
  $SUDO apt-get install -y -qq prometheus influxdb >/dev/null
fi

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! up 5432; then
  echo "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! up 3306; then
  echo "starting MariaDB"
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
for _ in $(seq 1 30); do
  up 5432 && up 3306 && exit 0
  sleep 1
done
echo "PostgreSQL or MariaDB did not come up" >&2
exit 1
