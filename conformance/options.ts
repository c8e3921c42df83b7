// What the kit is pointed at and with what: the DDR's URLs, the DiGA identity registered there (client_id,
// redirect URI, certificate), optional extras that enable more checks (another DiGA's certificate, the request
// log, the status feed), and how the patient logs in. Files are read here; a bad value names the option.
import fs from 'node:fs';
import { GatewayError } from '../lib/errors.ts';
import type { KeyPair } from './http.ts';
import { readLoginScript, type LoginScript } from './login-script.ts';

export interface KitOptions {
  /** The authorization server's issuer (RFC 8414 metadata below it). */
  base: string;
  fhirBase: string;
  clientId: string;
  redirectUri: string;
  ca: string;
  client: KeyPair;
  /** Another DiGA's registered certificate (the "another client's certificate" checks). */
  other?: KeyPair;
  /** Undefined with `manual`: a person logs in in a visible browser. */
  login?: LoginScript;
  manual: boolean;
  chromiumPath: string;
  /** A folder (or file) with the DDR's request log, JSON lines. */
  requestLog?: string;
  statusUrl?: string;
  /** Run only these groups (ids as in the report). */
  only?: string[];
  /** _count for the paging checks. */
  pageSize: number;
}

export interface RawKitOptions {
  base?: string;
  fhirBase?: string;
  clientId?: string;
  redirectUri?: string;
  clientCert?: string;
  clientKey?: string;
  ca?: string;
  otherClientCert?: string;
  otherClientKey?: string;
  loginScript?: string;
  browser?: boolean;
  chromium?: string;
  requestLog?: string;
  statusUrl?: string;
  only?: string;
  pageSize?: string;
}

/** A bad option of the kit: the command says it in one line and exits with 2. */
export class KitOptionsError extends GatewayError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

const CLIENT_ID_RE = /^urn:diga:bfarm:\d{5}$/;

function httpsUrl(value: string | undefined, option: string): string {
  if (!value) throw new KitOptionsError(`${option} is required`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new KitOptionsError(`${option} is not a URL: ${value}`);
  }
  if (u.protocol !== 'https:') throw new KitOptionsError(`${option} must be an https URL: ${value}`);
  return value.replace(/\/$/, '');
}

function pem(file: string | undefined, option: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  if (!file) throw new KitOptionsError(`${option} is required`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KitOptionsError(`${option}: cannot read ${file}: ${(err as Error).message}`);
  }
  const ok =
    kind === 'CERTIFICATE'
      ? /-----BEGIN CERTIFICATE-----/.test(text)
      : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
  if (!ok) throw new KitOptionsError(`${option}: ${file} holds no PEM ${kind.toLowerCase()}`);
  return text;
}

export function kitOptions(raw: RawKitOptions): KitOptions {
  const base = httpsUrl(raw.base, '--base');
  const fhirBase = httpsUrl(raw.fhirBase ?? `${base}/fhir`, '--fhir-base');
  if (!raw.clientId || !CLIENT_ID_RE.test(raw.clientId)) {
    throw new KitOptionsError(
      `--client-id must look like urn:diga:bfarm:NNNNN, got ${raw.clientId ?? 'nothing'}`,
    );
  }
  const redirectUri = httpsUrl(raw.redirectUri, '--redirect-uri');
  if (raw.loginScript && raw.browser) throw new KitOptionsError('give --login-script or --browser, not both');
  if (!raw.loginScript && !raw.browser) throw new KitOptionsError('give --login-script FILE or --browser');
  if (!!raw.otherClientCert !== !!raw.otherClientKey) {
    throw new KitOptionsError('--other-client-cert and --other-client-key go together');
  }
  const only = raw.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const pageSize = raw.pageSize === undefined ? 5 : Number(raw.pageSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw new KitOptionsError('--page-size must be an integer 1..100');
  }
  if (raw.requestLog !== undefined && !fs.existsSync(raw.requestLog)) {
    throw new KitOptionsError(`--request-log: ${raw.requestLog} does not exist`);
  }
  let login: LoginScript | undefined;
  try {
    login = raw.loginScript ? readLoginScript(raw.loginScript) : undefined;
  } catch (err) {
    throw new KitOptionsError(`--login-script: ${(err as Error).message}`);
  }
  return {
    base,
    fhirBase,
    clientId: raw.clientId,
    redirectUri,
    ca: pem(raw.ca, '--ca', 'CERTIFICATE'),
    client: {
      cert: pem(raw.clientCert, '--client-cert', 'CERTIFICATE'),
      key: pem(raw.clientKey, '--client-key', 'PRIVATE KEY'),
    },
    ...(raw.otherClientCert
      ? {
          other: {
            cert: pem(raw.otherClientCert, '--other-client-cert', 'CERTIFICATE'),
            key: pem(raw.otherClientKey, '--other-client-key', 'PRIVATE KEY'),
          },
        }
      : {}),
    ...(login ? { login } : {}),
    manual: raw.browser === true,
    chromiumPath: raw.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    ...(raw.requestLog ? { requestLog: raw.requestLog } : {}),
    ...(raw.statusUrl ? { statusUrl: httpsUrl(raw.statusUrl, '--status-url') } : {}),
    ...(only ? { only } : {}),
    pageSize,
  };
}
