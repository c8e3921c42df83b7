// RFC 8414 metadata with exactly the members HDDT lists (authorization-server.md and its example).
import type { ServerConfig } from '../../config/types.ts';
import { supportedScopes } from './scopes.ts';

export function authorizationServerMetadata(server: ServerConfig): Record<string, unknown> {
  const base = server.issuer;
  const md: Record<string, unknown> = {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    revocation_endpoint: `${base}/revoke`,
    pushed_authorization_request_endpoint: `${base}/par`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['tls_client_auth'],
    revocation_endpoint_auth_methods_supported: ['tls_client_auth'],
    require_pushed_authorization_requests: true,
    request_parameter_supported: false,
    tls_client_certificate_bound_access_tokens: false,
    scopes_supported: supportedScopes(server.mivs),
  };
  // unset: the recorder's own page (server/service/docs-page.ts)
  md.service_documentation = server.serviceDocumentation ?? `${base}/service/docs`;
  return md;
}
