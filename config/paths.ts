// Where the configuration's files are. One rule, applied once when the configuration is loaded:
// - `dataDir`, when relative, is resolved against the folder of the configuration file that set it, or the
//   working directory when it comes from the defaults, an HDDT_DATA_DIR variable or programmatic overrides;
// - every other path key (marked `"relativeTo": "dataDir"` in config/schema) is resolved against dataDir,
//   whichever layer set it (file or HDDT_* variable); absolute paths and https:// URLs are kept as they are.
// A config file therefore means the same wherever the command runs, and every file lives under dataDir unless
// it is named absolutely (backups copy dataDir).
import path from 'node:path';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a dataDir value came from: the layer that set it last wins (overrides > env > file > defaults). */
export function dataDirBase(opts: {
  file?: string;
  fileSetsDataDir: boolean;
  envSetsDataDir: boolean;
  overridesSetDataDir: boolean;
  cwd: string;
}): string {
  if (opts.overridesSetDataDir || opts.envSetsDataDir || !opts.file || !opts.fileSetsDataDir) return opts.cwd;
  return path.dirname(path.resolve(opts.cwd, opts.file));
}

/** URLs (https://…) name no file; everything else is a path. */
const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

function resolveOne(value: string, base: string): string {
  return isUrl(value) ? value : path.resolve(base, value);
}

/**
 * Returns a copy in which every string whose schema says `relativeTo: "dataDir"`, following `properties`, `items`
 * and the branches of `oneOf`/`anyOf`/`allOf` (e.g. `operator.tls`: null or an object with files).
 */
export function resolvePaths(schema: unknown, value: Json, dataDir: string): Json {
  if (!isObject(schema)) return value;
  if (schema.relativeTo === 'dataDir' && typeof value === 'string') return resolveOne(value, dataDir);
  let out = value;
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const branches = schema[k];
    if (Array.isArray(branches)) for (const b of branches) out = resolvePaths(b, out, dataDir);
  }
  if (Array.isArray(out) && isObject(schema.items)) {
    const items = schema.items;
    return out.map((v) => resolvePaths(items, v, dataDir));
  }
  if (isObject(out) && isObject(schema.properties)) {
    const props = schema.properties;
    const copy: JsonObject = {};
    for (const [k, v] of Object.entries(out)) copy[k] = k in props ? resolvePaths(props[k], v, dataDir) : v;
    return copy;
  }
  return out;
}
