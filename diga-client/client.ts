// The reference DiGA client: what a DiGA backend does against an HDDT Device Data Recorder, in one object.
//   const c = await DigaClient.open(settings);            // AS metadata + FHIR CapabilityStatement
//   await c.pairWithCredentials(['cgm', 'bloodGlucose'], patient);   // or startPairing + completePairing
//   const report = await c.pollOnce();                     // → JSON lines in settings.outFile
//   const summary = await c.summary();                     // counts, latest values, $hddt-cgm-summary
import path from 'node:path';
import type * as oauth from 'oauth4webapi';
import { AccessLines } from './access-line.ts';
import { AccessLog } from './access-log.ts';
import { loginAndConsent, type PatientCredentials } from './browser.ts';
import { DigaClientError } from './errors.ts';
import { FhirClient, type FhirResource } from './fhir.ts';
import { mivsOfScope, type Miv } from './hddt.ts';
import { MtlsHttp } from './http.ts';
import {
  discover,
  exchangeCode,
  pushAuthorization,
  TokenSession,
  type OAuthContext,
  type PendingAuthorization,
} from './oauth.ts';
import { JsonlSink, readJsonl } from './output.ts';
import { Poller, type PollReport } from './poller.ts';
import { accessLogDirOf, checkSettings, readTls, type ClientSettings } from './settings.ts';
import {
  formatSummary,
  parseCgmSummary,
  summarize,
  type CgmSummaryMetrics,
  type ClientSummary,
} from './summary.ts';
import { TokenFile } from './tokens.ts';

export interface DigaClientOptions {
  /** The client's clock (tests pin it to the server's). */
  now?: () => number;
  /** Refresh when less than this is left of the access token (default 60 s, at most a fifth of its life). */
  refreshMarginSeconds?: number;
  /** First poll: how many days back (default 30, HDDT's minimum historic data period). */
  sinceDays?: number;
  /** Waits between TOTP steps when the browser login needs a fresh code. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PairingResult {
  scope: string;
  mivs: Miv[];
  expiresAt: string;
}

export interface Capabilities {
  fhirVersion: string;
  resources: string[];
  cgmSummaryOperation: boolean;
}

function capabilitiesOf(cs: FhirResource): Capabilities {
  if (cs.resourceType !== 'CapabilityStatement') {
    throw new DigaClientError('protocol', 'GET metadata did not return a CapabilityStatement');
  }
  const rest = (
    cs.rest as Array<{ resource?: Array<{ type: string; operation?: Array<{ name: string }> }> }>
  )?.[0];
  const resources = rest?.resource ?? [];
  return {
    fhirVersion: String(cs.fhirVersion ?? ''),
    resources: resources.map((r) => r.type),
    cgmSummaryOperation: resources.some(
      (r) => r.type === 'Observation' && (r.operation ?? []).some((o) => o.name === 'hddt-cgm-summary'),
    ),
  };
}

export class DigaClient {
  readonly settings: ClientSettings;
  readonly metadata: oauth.AuthorizationServer;
  readonly capabilities: Capabilities;
  private readonly ctx: OAuthContext;
  private readonly tokens: TokenSession;
  private readonly fhir: FhirClient;
  private readonly opts: DigaClientOptions;
  private readonly tls: { ca: string };

  private constructor(
    settings: ClientSettings,
    metadata: oauth.AuthorizationServer,
    capabilities: Capabilities,
    ctx: OAuthContext,
    tokens: TokenSession,
    fhir: FhirClient,
    opts: DigaClientOptions,
    tls: { ca: string },
  ) {
    this.settings = settings;
    this.metadata = metadata;
    this.capabilities = capabilities;
    this.ctx = ctx;
    this.tokens = tokens;
    this.fhir = fhir;
    this.opts = opts;
    this.tls = tls;
  }

  /** Reads the certificate files, the AS metadata and the FHIR CapabilityStatement. */
  static async open(settings: ClientSettings, opts: DigaClientOptions = {}): Promise<DigaClient> {
    checkSettings(settings);
    const tls = readTls(settings);
    const now = opts.now ?? Date.now;
    const { issuer, clientId, fhirBase } = settings;
    // HDDT §4.5: the DiGA logs every request/response pair too (access-log.ts), unless turned off on purpose
    const logDir = accessLogDirOf(settings);
    const log =
      logDir === null
        ? undefined
        : AccessLog.open({ dir: logDir, retentionDays: settings.accessLogRetentionDays, now });
    const lines = new AccessLines({ clientId, issuer, fhirBase, now });
    const http = new MtlsHttp(tls, log && ((x) => log.append(lines.line(x))));
    try {
      const ctx: OAuthContext = { http, issuer, clientId, redirectUri: settings.redirectUri, now };
      const metadata = await discover(ctx);
      lines.useMetadata(metadata);
      const tokens = new TokenSession(
        ctx,
        metadata,
        new TokenFile(path.join(settings.stateDir, 'tokens.json')),
        opts.refreshMarginSeconds,
      );
      const fhir = new FhirClient(http, settings.fhirBase, tokens);
      let capabilities: Capabilities;
      try {
        capabilities = capabilitiesOf(await fhir.metadata());
      } catch (err) {
        throw err instanceof DigaClientError
          ? err
          : new DigaClientError('protocol', `reading the CapabilityStatement: ${(err as Error).message}`);
      }
      if (capabilities.fhirVersion !== '4.0.1') {
        throw new DigaClientError(
          'protocol',
          `the server speaks FHIR ${capabilities.fhirVersion}, HDDT needs 4.0.1`,
        );
      }
      return new DigaClient(settings, metadata, capabilities, ctx, tokens, fhir, opts, { ca: tls.ca });
    } catch (err) {
      http.close();
      throw err;
    }
  }

  /** PAR: the URL to open in the patient's browser (valid for `expiresIn` seconds). */
  startPairing(mivs: readonly Miv[]): Promise<PendingAuthorization> {
    return pushAuthorization(this.ctx, this.metadata, mivs);
  }

  /** The redirect back (code + state) → tokens, saved 0600. */
  async completePairing(pending: PendingAuthorization, callback: URL): Promise<PairingResult> {
    const t = await exchangeCode(this.ctx, this.metadata, pending, callback);
    new TokenFile(path.join(this.settings.stateDir, 'tokens.json')).write(t);
    return { scope: t.scope, mivs: mivsOfScope(t.scope), expiresAt: new Date(t.expiresAtMs).toISOString() };
  }

  /** The whole pairing with a patient's credentials driving the HTML forms (demos, tests). */
  async pairWithCredentials(
    mivs: readonly Miv[],
    patient: PatientCredentials,
    consent?: readonly Miv[],
  ): Promise<PairingResult> {
    const pending = await this.startPairing(mivs);
    const callback = await loginAndConsent(pending.authorizeUrl, patient, {
      ca: this.tls.ca,
      consent: consent ?? mivs,
      now: this.opts.now,
      sleep: this.opts.sleep,
    });
    return this.completePairing(pending, callback);
  }

  /** Granted MIVs of the stored pairing. */
  grantedMivs(): Miv[] {
    return mivsOfScope(this.tokens.current().scope);
  }

  /** Refreshes the tokens now if they are near expiry; true if it did. */
  async refreshIfDue(): Promise<boolean> {
    const t = this.tokens.current();
    if (!this.tokens.needsRefresh(t)) return false;
    await this.tokens.refresh();
    return true;
  }

  tokenExpiry(): { obtainedAt: string; expiresAt: string } {
    const t = this.tokens.current();
    return {
      obtainedAt: new Date(t.obtainedAtMs).toISOString(),
      expiresAt: new Date(t.expiresAtMs).toISOString(),
    };
  }

  async pollOnce(): Promise<PollReport> {
    const sink = new JsonlSink(this.settings.outFile);
    try {
      const poller = new Poller({
        fhir: this.fhir,
        sink,
        stateFile: path.join(this.settings.stateDir, 'poll-state.json'),
        mivs: this.grantedMivs(),
        sinceDays: this.opts.sinceDays,
        now: this.opts.now,
      });
      return await poller.pollOnce();
    } finally {
      sink.close();
    }
  }

  /** $hddt-cgm-summary over the default period (the last 7 days); undefined unless CGM is granted. */
  async cgmSummary(): Promise<CgmSummaryMetrics | undefined> {
    if (!this.grantedMivs().includes('cgm') || !this.capabilities.cgmSummaryOperation) return undefined;
    let bundle: FhirResource;
    try {
      bundle = await this.fhir.post('Observation/$hddt-cgm-summary', {
        resourceType: 'Parameters',
        parameter: [],
      });
    } catch (err) {
      // MSG_NO_MATCH: no CGM data in the period (an OperationOutcome, never an empty Bundle).
      if (err instanceof DigaClientError && err.httpStatus === 404) return { noMatch: true };
      throw err;
    }
    if (bundle.resourceType !== 'Bundle') {
      throw new DigaClientError('protocol', '$hddt-cgm-summary did not return a Bundle');
    }
    return parseCgmSummary(bundle);
  }

  /** Counts and latest values from the output file, plus the CGM summary when granted. */
  async summary(): Promise<ClientSummary> {
    const s = summarize(readJsonl(this.settings.outFile));
    const c = await this.cgmSummary();
    if (c) s.cgmSummary = c;
    return s;
  }

  formatSummary(s: ClientSummary): string[] {
    return formatSummary(s);
  }

  /** Revokes the pairing at the gateway and deletes the stored tokens. */
  revoke(): Promise<void> {
    return this.tokens.revoke();
  }

  close(): void {
    this.ctx.http.close();
  }
}
