// What the FHIR API keeps per server: its settings and access policy, the paging-cursor secret, the rate
// limiters, the Bundle entry renderings and the CapabilityStatement. One instance per FHIR plugin (decorated
// as `fhirService`), so two servers in one process share none of it.
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import type { SearchScope, SearchType } from '../../gateway/store/fhir-search.ts';
import type { AccessContext } from '../oauth/access.ts';
import { DEVICE_METRIC_SCOPE, DEVICE_SCOPE } from '../oauth/scopes.ts';
import { policyConfig, type PolicyConfig } from '../policy/policy-config.ts';
import { RateLimiter } from '../policy/rate-limit.ts';
import type { ServerServices } from '../services.ts';
import { capabilityStatement } from './capability.ts';
import { EntryCache } from './search.ts';
import type { Miv } from './search-params.ts';
import { fhirBaseUrl, fhirSettings, type FhirSettings } from '../shared/fhir-settings.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The FHIR API's per-server state (server/fhir/service.ts); inside the FHIR plugin only. */
    fhirService: FhirService;
  }
}

const DAY = 86_400_000;
const DEFAULT_MIVS: Miv[] = ['bloodGlucose', 'cgm'];

export class FhirService {
  readonly settings: FhirSettings;
  readonly policy: PolicyConfig;
  readonly cursorSecret: Buffer;
  readonly perClient: RateLimiter;
  readonly perPairing: RateLimiter;
  readonly entries = new EntryCache();
  private readonly startedOn = new Date().toISOString().slice(0, 10);
  private capability: { baseUrl: string; statement: object } | undefined;

  readonly services: ServerServices;

  constructor(services: ServerServices) {
    this.services = services;
    const { config, store } = services;
    this.settings = fhirSettings(config);
    this.policy = policyConfig(config);
    this.cursorSecret = store.secret('fhir-cursor-secret', 32);
    this.perClient = new RateLimiter(this.settings.rateLimit.perClient);
    this.perPairing = new RateLimiter(this.settings.rateLimit.perPairing);
    // Reads dominate: map the database instead of copying pages through read() (per connection, harmless).
    try {
      store.db.pragma('mmap_size = 268435456');
    } catch {
      // an in-memory or read-only store keeps its defaults
    }
  }

  /** Read per request (not once): the issuer is configuration, and tests set it once the port is known. */
  baseUrl(): string {
    return fhirBaseUrl(this.services.config, this.settings);
  }

  /** The CapabilityStatement for the current base URL (made again only when that changes). */
  capabilityStatement(): object {
    const url = this.baseUrl();
    if (this.capability?.baseUrl !== url) {
      const statement = capabilityStatement({
        baseUrl: url,
        mivs: (this.services.config.server.mivs ?? DEFAULT_MIVS) as Miv[],
        maxCount: this.settings.maxCount,
        date: this.startedOn,
        softwareVersion: '0.1.0',
      });
      this.capability = { baseUrl: url, statement };
    }
    return this.capability.statement;
  }

  /** The scope a token grants: its patient, and per granted MIV the codes and the historic period. */
  scopeOf(access: AccessContext, nowMs: number): SearchScope {
    const offered = this.services.config.server.mivs ?? DEFAULT_MIVS;
    const days = this.services.config.hddt.historicDataPeriodDays;
    return {
      patientId: access.patientId,
      groups: access.mivs
        .filter((m) => offered.includes(m))
        .map((m) => ({ codes: MIV_CODES[m], minEffectiveEndMs: nowMs - days[m] * DAY })),
    };
  }

  /** Device/DeviceMetric need their own scope besides an MIV scope. */
  typeAllowed(type: SearchType, access: AccessContext): boolean {
    return (
      type === 'Observation' ||
      (type === 'Device' && access.scopes.includes(DEVICE_SCOPE)) ||
      (type === 'DeviceMetric' && access.scopes.includes(DEVICE_METRIC_SCOPE))
    );
  }
}
