// Effective settings of the operator API: `server.operatorApi` from the configuration over these defaults.
import type { GatewayConfig, OperatorApiConfig } from '../../config/types.ts';

export const OPERATOR_API_DEFAULTS: OperatorApiConfig = {
  prefix: '/operator-api',
  accessTokenSeconds: 300,
  clients: [],
};

export function operatorApiSettings(config: GatewayConfig): OperatorApiConfig {
  return { ...OPERATOR_API_DEFAULTS, ...config.server.operatorApi };
}

/** The `aud` of operator API tokens: HDDT access tokens carry the FHIR base URL, so neither API takes the other's. */
export function operatorAudience(config: GatewayConfig): string {
  return `${config.server.issuer}${operatorApiSettings(config).prefix}`;
}
