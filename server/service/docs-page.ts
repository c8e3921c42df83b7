// The service documentation the OAuth metadata points at (RFC 8414 service_documentation, an HDDT SHOULD):
// what a DiGA developer needs to register and connect, with this recorder's own URLs.
import { html } from '../shared/html.ts';
import type { FeedUrls } from './status-feed.ts';

export function serviceDocsPage(urls: FeedUrls): string {
  const u = (path: string) => `${urls.base}${path}`;
  const body = html`<h1>HDDT Device Data Recorder: service documentation</h1>
    <h2>Client registration</h2>
    <p>
      DiGA are not registered here by hand. A DiGA may pair when the BfArM DiGA directory lists it as active;
      its <code>client_id</code> is its directory identifier, and every call to the authorization server and
      the FHIR API authenticates with the client certificate bound to it (<code>tls_client_auth</code>, mutual
      TLS). A client whose directory entry ends loses its pairings.
    </p>
    <h2>Endpoints</h2>
    <table>
      <tr>
        <th>Authorization server metadata (RFC 8414)</th>
        <td>${u('/.well-known/oauth-authorization-server')}</td>
      </tr>
      <tr>
        <th>Pushed authorization requests (required)</th>
        <td>${u('/par')}</td>
      </tr>
      <tr>
        <th>Authorization (patient login and consent)</th>
        <td>${u('/authorize')}</td>
      </tr>
      <tr>
        <th>Token (authorization code with PKCE S256, refresh)</th>
        <td>${u('/token')}</td>
      </tr>
      <tr>
        <th>Revocation (RFC 7009)</th>
        <td>${u('/revoke')}</td>
      </tr>
      <tr>
        <th>FHIR R4 API and CapabilityStatement</th>
        <td>${u(`${urls.fhirBase}/metadata`)}</td>
      </tr>
      <tr>
        <th>Status feed (JSON)</th>
        <td>${u('/service/status')}</td>
      </tr>
    </table>
    <h2>Operations</h2>
    <p>
      The status feed gives the service status (<code>operational</code> or <code>maintenance</code>), when to
      look again (<code>next_update</code>) and every planned or running maintenance with its start, end,
      cause, affected endpoints and when it was announced. Planned maintenance is announced at least five
      business days ahead, security fixes excepted. While a maintenance runs, the affected endpoints answer
      <code>503</code> with <code>Retry-After</code>: the FHIR API with an OperationOutcome (issue code
      <code>transient</code>), the authorization server with <code>temporarily_unavailable</code>.
    </p>
    <h2>Correlation</h2>
    <p>
      Every request is written to this recorder's request log with a transaction id. A client may send its own
      id as <code>X-Request-ID</code> (a UUID) to find the same request in both logs.
    </p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>HDDT service documentation</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}</style>
</head><body>${body.value}</body></html>`;
}
