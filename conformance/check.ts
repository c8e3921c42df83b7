// What one conformance check is: an id, the requirement in words, where it comes from in the HDDT reference
// (../shared/spec/hddt.md, by section number), whether HDDT says MUST or SHOULD, and after it ran: pass, fail
// or skipped, a sentence saying why, and the HTTP exchanges that prove it.

export type Level = 'MUST' | 'SHOULD';
export type Status = 'pass' | 'fail' | 'skip';

/** Sections of ../shared/spec/hddt.md the checks cite: number and (shortened) heading, as the reports print them. */
export const SECTIONS = {
  '0': 'Sources and versions',
  '1.1': 'Endpoint list',
  '1.2': 'Search parameters',
  '1.3': 'Observation search semantics',
  '1.4': 'Representation, headers, errors',
  '1.5': 'CapabilityStatement',
  '2.1': 'Observation – Blood Glucose Measurement',
  '2.2': 'Observation – Continuous Glucose Measurement',
  '2.3': 'Device – Personal Health Device',
  '2.4': 'DeviceMetric – Sensor Type and Calibration Status',
  '2.5': 'MIV ValueSets, units and scopes',
  '2.6': 'Operation $hddt-cgm-summary',
  '3.1': 'Profile',
  '3.2': 'Endpoints',
  '3.3': 'client_id, DiGA validation, registration',
  '3.4': 'Tokens',
  '3.5': 'Pairing ID',
  '3.6': 'SMART scopes',
  '4.3': 'Patient privacy',
  '4.4': 'Authorization conditions',
  '4.5': 'Logging',
  '4.6': 'Operational requirements',
} as const;

export type SectionId = keyof typeof SECTIONS;

export interface CheckSpec {
  /** Stable id, `group.name`, e.g. `metadata.issuer`. */
  id: string;
  /** What the DDR must do, in one sentence. */
  requirement: string;
  section: SectionId;
  level: Level;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Which TLS client certificate was presented: the DiGA's, another DiGA's, an impostor's, none. */
  identity: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request and its answer (or the transport error), as the report shows it (secrets masked there). */
export interface Exchange {
  request: RecordedRequest;
  response?: RecordedResponse;
  error?: string;
  durationMs: number;
}

export interface CheckResult extends CheckSpec {
  status: Status;
  /** Why it passed, failed or was skipped. */
  detail: string;
  evidence: Exchange[];
  durationMs: number;
}

/** Thrown inside a check: the requirement is not met. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

/** Thrown inside a check: it cannot be decided against this DDR (no data, option not given, step failed). */
export class CheckSkipped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckSkipped';
  }
}

export function fail(message: string): never {
  throw new CheckFailed(message);
}

export function skip(message: string): never {
  throw new CheckSkipped(message);
}

/** `fail(message)` unless `condition` holds. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Defines a group's checks once, keyed by their short name; ids are `<group>.<name>`. */
export function defineChecks<K extends string>(
  group: string,
  specs: Record<K, Omit<CheckSpec, 'id'>>,
): Record<K, CheckSpec> {
  const out = {} as Record<K, CheckSpec>;
  for (const [name, s] of Object.entries(specs) as Array<[K, Omit<CheckSpec, 'id'>]>) {
    out[name] = { id: `${group}.${name}`, ...s };
  }
  return out;
}
