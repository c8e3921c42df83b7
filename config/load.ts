// Loads the configuration: embedded defaults < the file given with --config < HDDT_* environment variables.
// Anything invalid stops start-up with a message naming the key, the value and what was expected.
// Paths come back absolute (config/paths.ts has the rule); server.issuer follows server.port unless set.
import { GatewayError } from '../lib/errors.ts';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { dataDirBase, resolvePaths } from './paths.ts';
import type { GatewayConfig } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export class ConfigError extends GatewayError {
  constructor(message: string) {
    super('ERR_CONFIG', message);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export interface LoadOptions {
  /** Path of a JSON configuration file overriding the defaults. */
  file?: string;
  /** Environment to read HDDT_* overrides from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Programmatic overrides applied last (tests, demo). */
  overrides?: Record<string, unknown>;
  /** Base of relative paths that do not come from the file (defaults to process.cwd()). */
  cwd?: string;
}

export function configSchema(): JsonObject {
  const dir = path.join(here, 'schema');
  const properties: JsonObject = {};
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    Object.assign(properties, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as JsonObject);
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'hddt-gateway configuration',
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  };
}

export function defaultConfig(): JsonObject {
  return JSON.parse(fs.readFileSync(path.join(here, 'default.json'), 'utf8')) as JsonObject;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays too) is replaced. */
export function mergeConfig(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? mergeConfig(b, v) : v;
  }
  return out;
}

/** HDDT_* variables that carry secrets for single commands, not configuration keys. */
export const NON_CONFIG_ENV = new Set(['HDDT_BACKUP_PASSPHRASE']);

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** `HDDT_HDDT__CHUNK_MINUTES=30` → `{ hddt: { chunkMinutes: 30 } }`; values are JSON when they parse as JSON. */
export function envOverrides(env: NodeJS.ProcessEnv): { values: JsonObject; sources: Map<string, string> } {
  const values: JsonObject = {};
  const sources = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('HDDT_') || raw === undefined || NON_CONFIG_ENV.has(name)) continue;
    const keys = name.slice(5).split('__').map(camel);
    if (keys.some((k) => k === '')) continue;
    let value: Json;
    try {
      value = JSON.parse(raw) as Json;
    } catch {
      value = raw;
    }
    let node = values;
    for (const k of keys.slice(0, -1)) {
      if (!isObject(node[k])) node[k] = {};
      node = node[k] as JsonObject;
    }
    node[keys.at(-1)!] = value;
    sources.set(keys.join('.'), name);
  }
  return { values, sources };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function validator(schema: JsonObject) {
  // strictRequired off: "anyOf: [{required: [a]}, {required: [b]}]" names properties declared one level up
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addFormat('iana-timezone', { type: 'string', validate: isTimeZone });
  // An annotation, no check: the path key is resolved against dataDir (config/paths.ts).
  ajv.addKeyword({ keyword: 'relativeTo', schemaType: 'string', metaSchema: { enum: ['dataDir'] } });
  return ajv.compile(schema);
}

/** The issuer when none is configured: this host on the configured port (443 is left out of the URL). */
export function defaultIssuer(port: number): string {
  return port === 443 ? 'https://localhost' : `https://localhost:${port}`;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let node = obj;
  for (const part of pointer.split('/').slice(1)) {
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function describe(err: ErrorObject, config: unknown, sources: Map<string, string>): string {
  let key = err.instancePath.split('/').slice(1).join('.');
  let value: unknown = valueAt(config, err.instancePath);
  let expected = err.message ?? 'a valid value';
  if (err.keyword === 'additionalProperties') {
    const extra = (err.params as { additionalProperty: string }).additionalProperty;
    key = key ? `${key}.${extra}` : extra;
    value = (value as Record<string, unknown>)[extra];
    expected = 'no such key (unknown setting)';
  } else if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    key = key ? `${key}.${missing}` : missing;
    expected = 'a value (required)';
  } else if (err.keyword === 'enum') {
    expected = `one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`;
  } else if (err.keyword === 'format') {
    expected = `a valid ${(err.params as { format: string }).format}`;
  } else if (err.keyword === 'type') {
    expected = `a value of type ${(err.params as { type: string }).type}`;
  }
  const from = sources.get(key);
  const origin = from ? ` (from ${from})` : '';
  return `configuration key '${key}'${origin} has value ${JSON.stringify(value) ?? 'undefined'}: expected ${expected}`;
}

function readConfigFile(file: string): JsonObject {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new ConfigError(`configuration file ${file} must hold a JSON object`);
  return parsed;
}

export function loadConfig(opts: LoadOptions = {}): GatewayConfig {
  const cwd = opts.cwd ?? process.cwd();
  const fromFile = opts.file ? readConfigFile(opts.file) : {};
  const env = envOverrides(opts.env ?? process.env);
  const overrides = (opts.overrides ?? {}) as JsonObject;
  let config = mergeConfig(mergeConfig(mergeConfig(defaultConfig(), fromFile), env.values), overrides);
  const schema = configSchema();
  const validate = validator(schema);
  if (!validate(config)) {
    const messages = (validate.errors ?? []).map((e) => describe(e, config, env.sources));
    throw new ConfigError(messages.join('\n'));
  }
  const base = dataDirBase({
    file: opts.file,
    fileSetsDataDir: 'dataDir' in fromFile,
    envSetsDataDir: 'dataDir' in env.values,
    overridesSetDataDir: 'dataDir' in overrides,
    cwd,
  });
  const dataDir = path.resolve(base, config.dataDir as string);
  config = resolvePaths(schema, { ...config, dataDir }, dataDir) as JsonObject;
  const server = config.server as JsonObject;
  if (server.issuer === undefined) server.issuer = defaultIssuer(server.port as number);
  return config as unknown as GatewayConfig;
}

/** Absolute path of a file in the data directory. */
export function dataPath(config: Pick<GatewayConfig, 'dataDir'>, ...parts: string[]): string {
  return path.resolve(config.dataDir, ...parts);
}

/** Makes the data directory (0700) when it does not exist yet; true when it was made now. */
export function ensureDataDir(config: Pick<GatewayConfig, 'dataDir'>): boolean {
  const dir = dataPath(config);
  if (fs.existsSync(dir)) return false;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return true;
}
