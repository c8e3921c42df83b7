// OperationOutcome: the body of every FHIR error, and of warnings inside search Bundles.
// FhirError carries the HTTP status with it so handlers just throw; its catalogue code follows the status.
import { fhirCodeOfStatus, GatewayError } from '../../lib/errors.ts';

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';
export type IssueCode =
  | 'invalid'
  | 'processing'
  | 'not-found'
  | 'not-supported'
  | 'throttled'
  | 'exception'
  | 'transient'
  | 'security'
  | 'login'
  | 'deleted';

export const OPERATION_OUTCOME_SYSTEM = 'http://terminology.hl7.org/CodeSystem/operation-outcome';

export interface Issue {
  severity: IssueSeverity;
  code: IssueCode;
  diagnostics?: string;
  /** Coded detail (operation-outcome code system), e.g. MSG_PARAM_INVALID. */
  detailCode?: string;
  detailText?: string;
  /** FHIRPath-ish location, e.g. the parameter name. */
  expression?: string;
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: Array<Record<string, unknown>>;
}

export function operationOutcome(...issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => {
      const out: Record<string, unknown> = { severity: i.severity, code: i.code };
      if (i.detailCode || i.detailText) {
        const details: Record<string, unknown> = {};
        if (i.detailCode) details.coding = [{ system: OPERATION_OUTCOME_SYSTEM, code: i.detailCode }];
        if (i.detailText) details.text = i.detailText;
        out.details = details;
      }
      if (i.diagnostics) out.diagnostics = i.diagnostics;
      if (i.expression) out.expression = [i.expression];
      return out;
    }),
  };
}

export class FhirError extends GatewayError {
  readonly status: number;
  readonly issue: Issue;
  readonly headers: Record<string, string>;
  /** Machine-readable reason for the request log (never personal data). */
  readonly errorCode: string;

  constructor(
    status: number,
    issue: Issue,
    opts: { headers?: Record<string, string>; errorCode?: string } = {},
  ) {
    super(fhirCodeOfStatus(status), issue.diagnostics ?? issue.detailText ?? issue.code);
    this.status = status;
    this.issue = issue;
    this.headers = opts.headers ?? {};
    this.errorCode = opts.errorCode ?? issue.detailCode ?? issue.code;
  }

  outcome(): OperationOutcome {
    return operationOutcome(this.issue);
  }
}

export const badRequest = (diagnostics: string, expression?: string, code: IssueCode = 'processing') =>
  new FhirError(400, { severity: 'error', code, diagnostics, expression });

export const notFound = (diagnostics: string) =>
  new FhirError(404, { severity: 'error', code: 'processing', diagnostics }, { errorCode: 'not_found' });

export const notSupported = (status: 406 | 415, diagnostics: string) =>
  new FhirError(
    status,
    { severity: 'error', code: 'not-supported', diagnostics },
    { errorCode: 'not_supported' },
  );

/** 401 with the RFC 6750 challenge HDDT asks for; the description names the reason, never the token. */
export function invalidToken(description: string, errorCode = 'invalid_token'): FhirError {
  const safe = description.replace(/["\\\r\n]/g, ' ');
  return new FhirError(
    401,
    { severity: 'error', code: 'login', diagnostics: description },
    {
      headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${safe}"` },
      errorCode,
    },
  );
}

/** 503 while a maintenance window takes the FHIR API down (HDDT §4.6: a machine-readable signal). */
export function inMaintenance(retryAfterSeconds: number, diagnostics: string): FhirError {
  return new FhirError(
    503,
    { severity: 'error', code: 'transient', diagnostics },
    { headers: { 'retry-after': String(retryAfterSeconds) }, errorCode: 'maintenance' },
  );
}

export function throttled(retryAfterSeconds: number, diagnostics: string): FhirError {
  return new FhirError(
    429,
    { severity: 'error', code: 'throttled', diagnostics },
    { headers: { 'retry-after': String(retryAfterSeconds) }, errorCode: 'rate_limited' },
  );
}
