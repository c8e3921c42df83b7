#!/usr/bin/env bash
# test/release/deb-install.sh PACKAGE.deb: installs the Debian package on this machine and checks it, then
# purges it and checks nothing is left. Needs root and changes the system (a user, /usr/lib/hddt-gateway,
# ...): run by .ci/run on a throwaway CI machine, not by `npm test`. Without systemd as PID 1 (a CI
# container) the service is started from the installed unit's own User=, Environment= and ExecStart= lines.
set -euo pipefail
deb="$(realpath "$1")"
pkg=hddt-gateway
step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "deb-install: FAILED: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "run as root (it installs $deb)"
dpkg -s "$pkg" >/dev/null 2>&1 && fail "$pkg is installed already; this test starts from a machine without it"
version="$(dpkg-deb -f "$deb" Version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# everything outside the volatile places, to compare after the purge
listing() {
  find /etc /usr /lib /var /opt /srv -xdev \( -path /var/log -o -path /var/cache/apt -o -path /var/lib/apt \
    -o -path /var/lib/dpkg -o -path /var/tmp -o -path /var/cache/debconf -o -path /var/cache/man \
    -o -path /var/lib/systemd/deb-systemd-helper-enabled -o -path /var/lib/systemd/deb-systemd-helper-masked \) \
    -prune -o -print 2>/dev/null | LC_ALL=C sort
}

step "dependencies from the archive, then dpkg -i"
mapfile -t missing < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^ *([^ (|]+).*/\1/' |
  while read -r d; do dpkg -s "$d" >/dev/null 2>&1 || echo "$d"; done)
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
listing >"$work/before.txt"
cp /etc/passwd /etc/group "$work/"
dpkg -i "$deb"

step "files, owners, modes"
[ "$(dpkg-query -W -f '${Status} ${Version}' "$pkg")" = "install ok installed $version" ] || fail "not installed"
[ "$(stat -c '%a %U:%G' /var/lib/hddt-gateway)" = "700 hddt-gateway:hddt-gateway" ] || fail "data directory"
[ "$(stat -c '%a %U:%G' /etc/hddt-gateway)" = "750 root:hddt-gateway" ] || fail "/etc/hddt-gateway"
[ "$(stat -c '%a %U:%G' /etc/hddt-gateway/config.json)" = "640 root:hddt-gateway" ] || fail "config.json"
getent passwd hddt-gateway | grep -q ':/var/lib/hddt-gateway:/usr/sbin/nologin$' || fail "service user"
id -nG hddt-gateway | tr ' ' '\n' | grep -qx dialout || fail "not in dialout"
id -nG hddt-gateway | tr ' ' '\n' | grep -qx bluetooth || fail "not in bluetooth"
[ -z "$(find /usr/lib/hddt-gateway/dist -name '*.ts' | head -1)" ] || fail "TypeScript sources in the package"
[ -z "$(find /usr/lib/hddt-gateway/node_modules \( -name '*.o' -o -name '*.a' \) | head -1)" ] || fail "build leftovers"
systemd-analyze verify /lib/systemd/system/hddt-gateway.service
echo ok

run_service() {
  local unit=/lib/systemd/system/hddt-gateway.service user exec
  user="$(sed -n 's/^User=//p' "$unit")"
  exec="$(sed -n 's/^ExecStart=//p' "$unit")"
  mapfile -t envs < <(sed -n 's/^Environment=//p' "$unit")
  # what systemd makes for StateDirectory= and CacheDirectory=
  install -d -o "$user" -g "$user" -m 0700 "/var/lib/$(sed -n 's/^StateDirectory=//p' "$unit")" \
    "/var/cache/$(sed -n 's/^CacheDirectory=//p' "$unit")"
  (cd "$(sed -n 's/^WorkingDirectory=//p' "$unit")" &&
    exec env -i PATH=/usr/bin:/bin "${envs[@]}" setpriv --reuid="$user" --regid="$user" --init-groups $exec) \
    2>"$work/service.log" &
  local pid=$! deadline=$((SECONDS + 60))
  until grep -q '"msg":"gateway running"' "$work/service.log"; do
    kill -0 "$pid" 2>/dev/null || fail "the service exited: $(tail -5 "$work/service.log")"
    [ "$SECONDS" -lt "$deadline" ] || fail "no 'gateway running' in 60 s: $(tail -5 "$work/service.log")"
    sleep 0.2
  done
  node -e "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" ||
    fail "operator /healthz"
  kill -TERM "$pid"
  wait "$pid" || fail "the service did not stop cleanly: $(tail -5 "$work/service.log")"
}

step "the service from the installed unit (ExecStart as User=, with its Environment=)"
run_service
[ -f /var/lib/hddt-gateway/hddt.sqlite ] || fail "no database in /var/lib/hddt-gateway"
echo ok

step "hddt-gateway --version, status --json as the service user"
[ "$(hddt-gateway --version)" = "$version" ] || fail "--version: $(hddt-gateway --version)"
runuser -u hddt-gateway -- hddt-gateway status --json >"$work/status.json"
node -e "const s = JSON.parse(require('fs').readFileSync('$work/status.json', 'utf8')); if (!Array.isArray(s.parts)) process.exit(1)" ||
  fail "status --json: $(head -c 300 "$work/status.json")"
# root runs the command as the service user: what it writes stays readable by the service
echo 'ci-password-0001' | hddt-gateway patient add ci-patient --password-stdin >/dev/null
[ -z "$(find /var/lib/hddt-gateway ! -user hddt-gateway | head -1)" ] || fail "root left files of its own"
echo ok

step "upgrade to a newer version keeps data and the edited configuration"
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: ${version}+ci1/" "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz --build "$work/next" "$work/next.deb" >/dev/null
sed -i 's/"gatewayId": "hub-1"/"gatewayId": "hub-ci"/' /etc/hddt-gateway/config.json
dpkg -i --force-confold "$work/next.deb"
grep -q '"gatewayId": "hub-ci"' /etc/hddt-gateway/config.json || fail "the edited conffile was replaced"
hddt-gateway patient list | grep -q ci-patient || fail "the patient is gone after the upgrade"
[ "$(stat -c '%a %U:%G' /var/lib/hddt-gateway)" = "700 hddt-gateway:hddt-gateway" ] || fail "data dir after upgrade"
run_service
grep -q '"gatewayId":"hub-ci"' "$work/service.log" || fail "the service did not read the edited configuration"
echo ok

step "remove keeps data and configuration, purge leaves nothing"
dpkg -r "$pkg"
[ -f /var/lib/hddt-gateway/hddt.sqlite ] || fail "remove deleted the data"
[ -f /etc/hddt-gateway/config.json ] || fail "remove deleted the conffile"
[ ! -e /usr/lib/hddt-gateway ] && [ ! -e /usr/bin/hddt-gateway ] || fail "remove left the program"
dpkg -P "$pkg"
listing >"$work/after.txt"
if ! diff "$work/before.txt" "$work/after.txt" >"$work/left.txt"; then
  fail "the purge left (>) or removed (<): $(head -20 "$work/left.txt")"
fi
diff "$work/passwd" /etc/passwd >/dev/null || fail "the purge left the user: $(diff "$work/passwd" /etc/passwd)"
diff "$work/group" /etc/group >/dev/null || fail "the purge left groups: $(diff "$work/group" /etc/group)"
dpkg -s "$pkg" >/dev/null 2>&1 && fail "still known to dpkg"
echo "ok: $deb installs, runs, upgrades and purges cleanly"
