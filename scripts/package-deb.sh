#!/usr/bin/env bash
# `npm run package:deb [-- --out DIR]`: builds hddt-gateway_<version>_<arch>.deb for this machine's
# architecture with dpkg-deb. The compiled build (dist/, rebuilt when older than the sources) and the
# production dependencies (npm ci --omit=dev in a staging folder: native modules are built here, for this
# architecture) go to /usr/lib/hddt-gateway; the rest comes from deploy/ (unit, maintainer scripts, the
# conffile /etc/hddt-gateway/config.json). Needs dpkg-deb and dpkg-shlibdeps (dpkg-dev); see
# docs/raspberry-pi.md for arm64/armhf builds. Prints the package's path (and nothing else) on stdout.
set -euo pipefail
trap 'echo "package-deb: failed at line $LINENO" >&2' ERR
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    *) echo "package-deb: unknown argument $1 (known: --out DIR)" >&2; exit 2 ;;
  esac
done
cd "$root"
deb="$root/deploy/debian"
version="$(node -p "require('./package.json').version")"
arch="$(dpkg --print-architecture)"
maintainer="${DEB_MAINTAINER:-hddt-gateway maintainers <maintainers@hddt-gateway.invalid>}"
# reproducible times: the last commit's, unless given
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

if ! node -e "import('./bin/build-stamp.js').then((m) => process.exit(m.buildIsCurrent('.') ? 0 : 1))"; then
  npm run build >&2
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
app="$stage/usr/lib/hddt-gateway"
doc="$stage/usr/share/doc/hddt-gateway"
mkdir -p "$app/bin" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/hddt-gateway" "$doc" \
  "$stage/usr/share/man/man1" "$stage/usr/share/lintian/overrides" "$stage/DEBIAN"

# the program: package.json without its scripts (prepare would compile again), the lock, the launcher, dist/
node -e "const p = require('./package.json'); delete p.scripts; \
  require('fs').writeFileSync(process.argv[1], JSON.stringify(p, null, 2) + '\n')" "$app/package.json"
cp package-lock.json "$app/"
cp bin/hddt-gateway.js "$app/bin/"
cp -r dist "$app/"
rm -f "$app/dist/build.json"
(cd "$app" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error >&2)
rm -f "$app/package-lock.json"
"$root/scripts/prune-modules.sh" "$app/node_modules"

install -m 0755 "$deb/hddt-gateway" "$stage/usr/bin/hddt-gateway"
install -m 0644 deploy/hddt-gateway.service "$stage/lib/systemd/system/"
install -m 0644 "$deb/config.json" "$stage/etc/hddt-gateway/config.json"
install -m 0644 "$deb/copyright" "$doc/"
install -m 0644 README.md docs/raspberry-pi.md "$doc/"
install -m 0644 "$deb/lintian-overrides" "$stage/usr/share/lintian/overrides/hddt-gateway"
when="$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
printf 'hddt-gateway (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$when" | gzip -9n >"$doc/changelog.gz"
"$root/scripts/manpage.sh" "$app" "$version" | gzip -9n >"$stage/usr/share/man/man1/hddt-gateway.1.gz"

install -m 0755 "$deb/postinst" "$deb/prerm" "$deb/postrm" "$stage/DEBIAN/"
install -m 0644 "$deb/conffiles" "$stage/DEBIAN/"
# shared libraries the native modules link against, as dpkg-shlibdeps names them
mkdir -p "$stage/debian" && echo 'Source: hddt-gateway' >"$stage/debian/control"
mapfile -t natives < <(find "$app/node_modules" -name '*.node' -type f)
shlibs="$(cd "$stage" && dpkg-shlibdeps -O "${natives[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
rm -r "$stage/debian"
size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@MAINTAINER@/$maintainer/" \
  -e "s/@INSTALLED_SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" "$deb/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
  LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)

find "$stage" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0 touch -h -d "@$SOURCE_DATE_EPOCH"
mkdir -p "$out"
file="$out/hddt-gateway_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$file" >/dev/null
echo "$file"
