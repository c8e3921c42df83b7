#!/usr/bin/env bash
# scripts/prune-modules.sh NODE_MODULES: leaves what a Linux install on this architecture runs, as plain
# files. Goes: prebuilt binaries for other systems and architectures; the native modules' build leftovers
# (object files, archives, C/C++ sources such as node-hid's hidapi, the test extension; each keeps its
# build/Release/*.node, stripped);
# what only building or type-checking uses (node-gyp, @types); packages' tests, examples, benchmarks, HTML
# docs and tool settings. Files become 0644, scripts (#!) 0755.
set -euo pipefail
trap 'echo "prune-modules: failed at line $LINENO" >&2' ERR
modules="$1"
keep="linux-$(node -p process.arch)"

# prebuilds/<platform>-<arch>: this one only, glibc builds only (Debian is not musl)
find "$modules" -type d -name prebuilds -prune -print0 | while IFS= read -r -d '' dir; do
  find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name "$keep" -exec rm -rf {} +
  find "$dir" -name '*.musl.node' -delete
done
# platform packages of prebuilt binaries (@cbor-extract/cbor-extract-linux-x64): glibc builds only
find "$modules" -path '*-linux-*' -name '*.musl.node' -type f -delete

find "$modules" -name binding.gyp -type f -print0 | while IFS= read -r -d '' gyp; do
  pkg="$(dirname "$gyp")"
  [ -f "$pkg/package.json" ] || continue
  main="$(node -p "require('$pkg/package.json').main || 'index.js'" | sed 's#^\./##')"
  if [ -d "$pkg/build" ]; then
    find "$pkg/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
    if [ -d "$pkg/build/Release" ]; then
      find "$pkg/build/Release" -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +
      rm -f "$pkg/build/Release/test_extension.node"
    fi
  fi
  for src in src deps libusb libusb_config include hidapi; do
    case "$main" in "$src"/*) continue ;; esac
    rm -rf "${pkg:?}/$src"
  done
done

# node-gyp builds usocket at install time; @types are declarations for the TypeScript compiler
rm -rf "$modules/node-gyp" "$modules/@types"
find "$modules" -name package.json -type f -print0 |
  while IFS= read -r -d '' manifest; do
    pkg="$(dirname "$manifest")"
    rm -rf "$pkg"/{test,tests,example,examples,benchmark,benchmarks,integration,.github}
  done
find "$modules" \( -name '.eslintrc*' -o -name '.npmignore' -o -name '.git*' -o -name '.travis.yml' \
  -o -name '.husky' -o -name '*.html' \) -prune -exec rm -rf {} +
# source maps (node runs the JavaScript as shipped), pdfkit's browser bundles, @swc/helpers' build tooling
find "$modules" -type f \( -name '*.js.map' -o -name '*.mjs.map' -o -name '*.cjs.map' \) -delete
rm -f "$modules"/pdfkit/js/pdfkit.browser.* "$modules"/pdfkit/js/pdfkit.standalone.js
rm -rf "$modules/@swc/helpers/scripts"
find "$modules" -mindepth 1 -type d -empty -delete

find "$modules" -name '*.node' -type f -exec strip --strip-unneeded --remove-section=.comment {} +
find "$modules" -type d -exec chmod 0755 {} +
find "$modules" -type f -exec chmod 0644 {} +
# grep exits 1 for a batch without a match: not a failure here
{ find "$modules" -type f -exec grep -lI --max-count=1 '^#!' {} + 2>/dev/null || true; } | while IFS= read -r f; do
  if head -c2 "$f" | grep -q '#!'; then chmod 0755 "$f"; fi
done
