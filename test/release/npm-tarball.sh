#!/usr/bin/env bash
# test/release/npm-tarball.sh: `npm pack` gives a tarball that installs with `npm install -g` where there is
# no source tree (a temporary folder and npm prefix) and runs `hddt-gateway demo --smoke` from there.
# Run by .ci/run after `npm ci` (dist/ current); needs socat (the demo's serial meter) like the tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fail() {
  echo "npm-tarball: FAILED: $*" >&2
  exit 1
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
node -e "import('./bin/build-stamp.js').then((m) => process.exit(m.buildIsCurrent('.') ? 0 : 1))" || npm run build
# prepare keeps the current dist/; prepack ships the lock as npm-shrinkwrap.json (the tested dependency tree)
tarball="$work/$(npm pack --silent --pack-destination "$work")"
tar -tzf "$tarball" >"$work/files.txt"
echo "packed $(basename "$tarball"): $(wc -l <"$work/files.txt") files"
if grep -E '\.ts$|^package/(test|bench|scripts|node_modules)/' "$work/files.txt"; then
  fail "the tarball holds sources, tests or scripts"
fi
grep -qx 'package/dist/bin/cli.js' "$work/files.txt" || fail "no dist/bin/cli.js in the tarball"

mkdir "$work/elsewhere"
cd "$work/elsewhere"
npm install -g --prefix "$work/prefix" --prefer-offline --no-audit --no-fund --loglevel=error "$tarball"
export PATH="$work/prefix/bin:$PATH"
[ "$(command -v hddt-gateway)" = "$work/prefix/bin/hddt-gateway" ] || fail "hddt-gateway is not the installed one"
[ "$(hddt-gateway --version)" = "$(node -p "require('$root/package.json').version")" ] || fail "--version"
[ ! -e "$work/prefix/lib/node_modules/hddt-gateway/node_modules/tsx" ] || fail "tsx installed as a runtime dependency"
hddt-gateway demo --smoke >"$work/demo.log" 2>&1 || fail "demo --smoke: $(tail -20 "$work/demo.log")"
tail -3 "$work/demo.log"
echo "ok: the npm tarball installs globally and runs demo --smoke"
