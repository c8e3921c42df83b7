// Scenario files: which simulated peripherals to put on the air, with their history, records and faults.
// Validated against scenario.schema.json (ajv); every problem is reported with the field it is in,
// including raw hex records that the codecs cannot decode.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { decodeCgmMeasurement } from '../../drivers/codecs/cgm-measurement.ts';
import { decodeGlucoseContext } from '../../drivers/codecs/glucose-context.ts';
import { decodeGlucoseMeasurement } from '../../drivers/codecs/glucose-measurement.ts';
import { parseHex } from '../../drivers/codecs/hex.ts';
import { GatewayError } from '../../lib/errors.ts';
import { CaptureError, looksLikeCapture, parseCapture } from '../../drivers/ble/capture-file.ts';
import { scenarioFromCapture } from './capture-scenario.ts';
import type { CgmSimulatorOptions } from './cgm-simulator.ts';
import type { GlucoseMeterOptions } from './glucose-meter-simulator.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCENARIO_SCHEMA_PATH = path.join(here, 'scenario.schema.json');

export class ScenarioError extends GatewayError {
  readonly problems: readonly string[];

  constructor(
    message: string,
    /** one line per problem */
    problems: readonly string[] = [message],
  ) {
    super('ERR_SCENARIO', message);
    this.problems = problems;
  }
}

type Json = Record<string, unknown>;

export type CgmScenario = { kind: 'cgm' } & Omit<CgmSimulatorOptions, 'sessionStart'> & {
    /** ISO instant, or "auto" (now − the latest record's offset) */
    sessionStart?: string;
  };
export type GlucoseScenario = { kind: 'glucose' } & GlucoseMeterOptions;
export type PeripheralScenario = CgmScenario | GlucoseScenario;

export interface Scenario {
  description?: string;
  controller?: { address?: string };
  /** default speed of every CGM without its own */
  speed?: number;
  peripherals: PeripheralScenario[];
}

let compiled: ReturnType<Ajv['compile']> | null = null;

function validator(): ReturnType<Ajv['compile']> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, discriminator: true });
  // RFC 3339 instant with a zone (Z or ±hh:mm), e.g. 2024-03-01T07:00:00Z
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => instant.test(s) && !Number.isNaN(Date.parse(s)),
  });
  compiled = ajv.compile(JSON.parse(fs.readFileSync(SCENARIO_SCHEMA_PATH, 'utf8')) as Json);
  return compiled;
}

/** JSON pointer → "peripherals[0].history.count" */
function fieldName(pointer: string, extra?: string): string {
  const parts = pointer.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const raw of parts) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  }
  return out || '(top level)';
}

function valueAt(obj: unknown, pointer: string): unknown {
  let node = obj;
  for (const part of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function describe(err: ErrorObject, doc: unknown): string | null {
  const value = valueAt(doc, err.instancePath);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'if':
      return null; // the failing branch reports the real problem
    case 'oneOf':
      // with the discriminator this only happens together with a more precise error
      return null;
    case 'discriminator': {
      const tag = String(params.tag);
      if (params.tagValue === undefined) return null; // "required" says it
      return `scenario field '${fieldName(err.instancePath, tag)}' has value ${JSON.stringify(params.tagValue)}: expected one of ["cgm","glucose"]`;
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      return `scenario field '${fieldName(err.instancePath, extra)}' is not a known setting`;
    }
    case 'required':
      return `scenario field '${fieldName(err.instancePath, String(params.missingProperty))}' is required`;
  }
  let expected = (err.message ?? 'a valid value').replace(/^must (be )?/, '');
  if (err.keyword === 'minItems') expected = `at least ${String(params.limit)} item(s)`;
  else if (err.keyword === 'enum') expected = `one of ${JSON.stringify(params.allowedValues)}`;
  else if (err.keyword === 'const') expected = JSON.stringify(params.allowedValue);
  else if (err.keyword === 'format') expected = `a ${String(params.format)} such as 2024-03-01T07:00:00Z`;
  else if (err.keyword === 'type') expected = `a value of type ${String(params.type)}`;
  else if (err.keyword === 'pattern') {
    expected = err.instancePath.endsWith('address')
      ? 'a Bluetooth address aa:bb:cc:dd:ee:ff'
      : `text matching ${String(params.pattern)}`;
  }
  return `scenario field '${fieldName(err.instancePath)}' has value ${JSON.stringify(value) ?? 'undefined'}: expected ${expected}`;
}

/** Checks the schema cannot express: unique addresses, decodable raw records, faults that fit the kind. */
function semanticProblems(s: Scenario): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  s.peripherals.forEach((p, i) => {
    const at = `peripherals[${i}]`;
    const addr = p.address.toLowerCase();
    const first = seen.get(addr);
    if (first !== undefined) {
      problems.push(`scenario field '${at}.address' repeats ${p.address} of peripherals[${first}]`);
    } else seen.set(addr, i);
    const tryDecode = (field: string, hex: string, decode: (b: Uint8Array) => unknown) => {
      try {
        decode(parseHex(hex));
      } catch (e) {
        problems.push(`scenario field '${field}' is not a valid record: ${(e as Error).message}`);
      }
    };
    if (p.kind === 'cgm') {
      if (p.faults?.resetSequenceAfterLinks != null) {
        problems.push(
          `scenario field '${at}.faults.resetSequenceAfterLinks' does not apply: a CGM has no sequence numbers`,
        );
      }
      if (p.faults?.corruptCrcEvery != null && p.e2eCrc === false) {
        problems.push(`scenario field '${at}.faults.corruptCrcEvery' needs e2eCrc: true (no CRC to corrupt)`);
      }
      if (p.range && !(p.range.low < p.range.high)) {
        problems.push(`scenario field '${at}.range' has low ${p.range.low} not below high ${p.range.high}`);
      }
      const interval = p.intervalMinutes ?? 1;
      const h = p.history;
      if (h) {
        const count = h.count ?? (h.days !== undefined ? Math.round((h.days * 1440) / interval) : 0);
        if ((h.startOffset ?? 0) + (count - 1) * interval > 0xffff) {
          problems.push(`scenario field '${at}.history' needs time offsets beyond 65535 min`);
        }
      }
      p.records?.forEach((r, k) => {
        if (typeof r === 'string') {
          tryDecode(`${at}.records[${k}]`, r, (b) => {
            const m = decodeCgmMeasurement(b, { crc: false });
            if (m.records.length !== 1) throw new Error(`holds ${m.records.length} records, expected 1`);
          });
        }
      });
    } else {
      if (p.faults?.corruptCrcEvery != null) {
        problems.push(
          `scenario field '${at}.faults.corruptCrcEvery' does not apply: GLS records carry no CRC`,
        );
      }
      p.records?.forEach((r, k) => {
        const raw = typeof r === 'string' ? { measurement: r } : 'measurement' in r ? r : null;
        if (!raw) return;
        const field = `${at}.records[${k}]${typeof r === 'string' ? '' : '.measurement'}`;
        tryDecode(field, raw.measurement, decodeGlucoseMeasurement);
        if (raw.context !== undefined)
          tryDecode(`${at}.records[${k}].context`, raw.context, decodeGlucoseContext);
      });
    }
  });
  return problems;
}

/** A capture file (`ble capture`, format "hddt-ble-capture/…") as the scenario that replays it. */
function fromCapture(doc: unknown, source: string): Scenario {
  try {
    return scenarioFromCapture(parseCapture(doc, source), source);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    throw new ScenarioError(e.message.startsWith(source) ? e.message : `${source}: ${e.message}`, e.problems);
  }
}

/** Validates a parsed JSON document (a scenario, or a capture to replay); throws ScenarioError listing every problem. */
export function parseScenario(doc: unknown, source = 'scenario'): Scenario {
  if (looksLikeCapture(doc)) doc = fromCapture(doc, source);
  const validate = validator();
  if (!validate(doc)) {
    const problems = [...new Set((validate.errors ?? []).map((e) => describe(e, doc)))].filter(
      (p): p is string => p !== null,
    );
    if (problems.length === 0) problems.push('scenario does not match its schema');
    throw new ScenarioError(`${source}: ${problems.join('\n')}`, problems);
  }
  const scenario = doc as Scenario;
  const problems = semanticProblems(scenario);
  if (problems.length > 0) throw new ScenarioError(`${source}: ${problems.join('\n')}`, problems);
  return scenario;
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read scenario ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`scenario ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(doc, file);
}
