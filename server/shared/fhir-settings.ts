// FHIR resource server settings (config `server.fhir`), with the defaults used for keys left out.
import type { GatewayConfig } from '../../config/types.ts';

export interface RateLimitRule {
  /** Requests allowed per window; 0 disables the rule. */
  max: number;
  windowSeconds: number;
}

export interface FhirSettings {
  /** Path prefix of the FHIR API, e.g. `/fhir`. */
  base: string;
  /** Public absolute base URL (for fullUrl, links, implementation.url); null = the issuer + `base`. */
  publicBaseUrl: string | null;
  defaultCount: number;
  maxCount: number;
  /** Responses at least this large are compressed (gzip/br) when the client accepts it. */
  compressMinBytes: number;
  rateLimit: { perClient: RateLimitRule; perPairing: RateLimitRule };
}

export const FHIR_DEFAULTS: FhirSettings = {
  base: '/fhir',
  publicBaseUrl: null,
  defaultCount: 50,
  maxCount: 500,
  compressMinBytes: 1024,
  rateLimit: { perClient: { max: 6000, windowSeconds: 60 }, perPairing: { max: 600, windowSeconds: 60 } },
};

type Partial2<T> = { [K in keyof T]?: T[K] extends object ? Partial2<T[K]> : T[K] };

/** The effective settings: `server.fhir` over the defaults. */
export function fhirSettings(config: GatewayConfig): FhirSettings {
  const given = ((config.server as unknown as Record<string, unknown>).fhir ?? {}) as Partial2<FhirSettings>;
  return {
    ...FHIR_DEFAULTS,
    ...given,
    rateLimit: {
      perClient: { ...FHIR_DEFAULTS.rateLimit.perClient, ...given.rateLimit?.perClient },
      perPairing: { ...FHIR_DEFAULTS.rateLimit.perPairing, ...given.rateLimit?.perPairing },
    },
  } as FhirSettings;
}

/**
 * The absolute FHIR base URL every link, fullUrl and implementation.url is made of: `publicBaseUrl`, else the
 * issuer followed by the base path. Configuration only: a request's Host or X-Forwarded-* headers never
 * decide it (they would let a client plant another origin in what the server hands out).
 */
export function fhirBaseUrl(config: GatewayConfig, settings: FhirSettings = fhirSettings(config)): string {
  return (settings.publicBaseUrl ?? `${config.server.issuer}${settings.base}`).replace(/\/$/, '');
}
