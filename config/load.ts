// Loads the configuration: embedded defaults < the file given with --config < HDDT_* environment variables.
// Anything invalid stops start-up with a message naming the key, the value and what was expected.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import type { GatewayConfig } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
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

function validator() {
  // strictRequired off: "anyOf: [{required: [a]}, {required: [b]}]" names properties declared one level up
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addFormat('iana-timezone', { type: 'string', validate: isTimeZone });
  return ajv.compile(configSchema());
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

export function loadConfig(opts: LoadOptions = {}): GatewayConfig {
  let config = defaultConfig();
  if (opts.file) {
    let text: string;
    try {
      text = fs.readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read configuration file ${opts.file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`configuration file ${opts.file} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isObject(parsed)) throw new ConfigError(`configuration file ${opts.file} must hold a JSON object`);
    config = mergeConfig(config, parsed);
  }
  const env = envOverrides(opts.env ?? process.env);
  config = mergeConfig(config, env.values);
  if (opts.overrides) config = mergeConfig(config, opts.overrides as JsonObject);
  const validate = validator();
  if (!validate(config)) {
    const messages = (validate.errors ?? []).map((e) => describe(e, config, env.sources));
    throw new ConfigError(messages.join('\n'));
  }
  return config as unknown as GatewayConfig;
}

/** Absolute path of a file in the data directory. */
export function dataPath(config: Pick<GatewayConfig, 'dataDir'>, ...parts: string[]): string {
  return path.resolve(config.dataDir, ...parts);
}
