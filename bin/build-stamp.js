// The compiled build's stamp (dist/build.json): which source folders it was compiled from and when the build
// started. In a development checkout the `hddt-gateway` command runs dist/ only while no file or folder
// under those sources is newer than that, so it never runs code that differs from the sources it sits beside.
// Plain JavaScript: the command reads it before any TypeScript can be loaded.
import fs from 'node:fs';
import path from 'node:path';

export const STAMP = 'dist/build.json';

/** Writes the stamp; its time is when the build started, so an edit made during the build counts as newer. */
export function writeStamp(root, roots, startedMs) {
  const file = path.join(root, STAMP);
  fs.writeFileSync(file, `${JSON.stringify({ roots, startedAt: new Date(startedMs).toISOString() })}\n`);
  const t = new Date(startedMs);
  fs.utimesSync(file, t, t);
}

/** True when dist/ was built from the sources as they are now (every file and folder is older than the build). */
export function buildIsCurrent(root) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8'));
  } catch {
    return false;
  }
  const built = Date.parse(stamp.startedAt);
  return Array.isArray(stamp.roots) && stamp.roots.every((r) => olderThan(path.join(root, r), built));
}

// Folders count too: adding, removing or renaming a file changes its folder's time.
function olderThan(p, ms) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return false;
  }
  if (st.mtimeMs > ms) return false;
  if (!st.isDirectory()) return true;
  return fs.readdirSync(p).every((name) => olderThan(path.join(p, name), ms));
}
