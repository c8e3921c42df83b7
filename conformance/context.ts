// The state one run shares between its groups: the options, the probe and recorder, what was learnt (metadata,
// CapabilityStatement, pairings and their tokens), every resource a pairing was shown, and every secret seen,
// which the report writers mask.
import { CheckSkipped, type CheckSpec, type Exchange } from './check.ts';
import type { PatientBrowsers } from './browser-login.ts';
import type { Probe } from './http.ts';
import type { MivId } from './hddt-terms.ts';
import type { KitOptions } from './options.ts';
import type { Recorder } from './recorder.ts';

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; profile?: string[] };
  [k: string]: unknown;
}

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  sub: string;
  [k: string]: unknown;
}

export interface Pairing {
  label: string;
  patient: 'a' | 'b';
  mivs: MivId[];
  tokens: TokenSet;
  /** The token response, as evidence for the claim checks. */
  tokenExchange: Exchange;
  code: string;
  requestUri: string;
  verifier: string;
  state: string;
  callback: URL;
}

/** What one pairing's full Observation search showed (with _include and _include:iterate). */
export interface Inventory {
  observations: FhirResource[];
  devices: FhirResource[];
  metrics: FhirResource[];
}

/** Stops a group: its remaining checks are reported as skipped with this reason (inside a check: skipped). */
export class GroupStopped extends CheckSkipped {}

export class ResourcePool {
  private readonly byLabel = new Map<string, Map<string, FhirResource>>();

  add(label: string, r: FhirResource | undefined): void {
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string' || !r.id) return;
    if (r.resourceType === 'Bundle' || r.resourceType === 'OperationOutcome') return;
    let m = this.byLabel.get(label);
    if (!m) this.byLabel.set(label, (m = new Map()));
    m.set(`${r.resourceType}/${r.id}`, r);
  }

  of(label: string, type?: string): FhirResource[] {
    const all = [...(this.byLabel.get(label)?.values() ?? [])];
    return type ? all.filter((r) => r.resourceType === type) : all;
  }

  keys(label: string): Set<string> {
    return new Set(this.byLabel.get(label)?.keys() ?? []);
  }
}

export class KitContext {
  readonly secrets = new Set<string>();
  readonly pool = new ResourcePool();
  readonly pairings = new Map<string, Pairing>();
  readonly inventories = new Map<string, Inventory>();
  metadata?: Record<string, unknown>;
  capability?: FhirResource;
  /** Groups that ended early and why (their checks are skipped with it). */
  readonly stopped = new Map<string, string>();

  readonly opts: KitOptions;
  readonly probe: Probe;
  readonly rec: Recorder;
  readonly browsers: PatientBrowsers;
  readonly log: (line: string) => void;

  constructor(
    opts: KitOptions,
    probe: Probe,
    rec: Recorder,
    browsers: PatientBrowsers,
    log: (line: string) => void,
  ) {
    this.opts = opts;
    this.probe = probe;
    this.rec = rec;
    this.browsers = browsers;
    this.log = log;
  }

  secret(...values: Array<string | undefined | null>): void {
    for (const v of values) if (typeof v === 'string' && v.length >= 4) this.secrets.add(v);
  }

  /** The pairing a group needs, or stop the group. */
  pairing(label: string): Pairing {
    const p = this.pairings.get(label);
    if (!p) throw new GroupStopped(`needs pairing ${label}, which did not succeed`);
    return p;
  }

  /** The AS metadata endpoint URL, or stop. */
  endpoint(name: string): string {
    const v = this.metadata?.[name];
    if (typeof v !== 'string') throw new GroupStopped(`the authorization server metadata gives no ${name}`);
    return v;
  }

  fhirUrl(pathOrUrl: string): string {
    return /^https:\/\//.test(pathOrUrl)
      ? pathOrUrl
      : `${this.opts.fhirBase}/${pathOrUrl.replace(/^\//, '')}`;
  }

  inventory(label: string): Inventory {
    const inv = this.inventories.get(label);
    if (!inv) throw new GroupStopped(`the Observation search of pairing ${label} did not succeed`);
    return inv;
  }

  /** The MIVs the DDR offers (its scopes_supported). */
  offeredMivs(): MivId[] {
    const scopes = Array.isArray(this.metadata?.scopes_supported)
      ? (this.metadata!.scopes_supported as string[])
      : [];
    const out: MivId[] = [];
    for (const s of scopes) {
      if (s.endsWith('hddt-miv-blood-glucose-measurement')) out.push('bloodGlucose');
      if (s.endsWith('hddt-miv-continuous-glucose-measurement')) out.push('cgm');
    }
    return out;
  }
}

export interface Group {
  name: string;
  checks: Record<string, CheckSpec>;
  run(ctx: KitContext): Promise<void>;
}
