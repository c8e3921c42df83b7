// `hddt-gateway diga-client info|pair|poll|summary|revoke`: the reference DiGA client (diga-client/) for
// DiGA developers testing against a gateway. Connection settings given to `pair` are kept in the state
// folder (client.json; tokens in tokens.json, 0600) so later commands need only --state-dir.
// Exit codes: 0 ok, 2 invalid input or settings, 3 not paired or the pairing was revoked, 1 anything else.
import { exitCodeOf } from '../../lib/errors.ts';
import { UsageError } from './common.ts';
import path from 'node:path';
import readline from 'node:readline';
import type { Command } from 'commander';
import { DigaClient } from '../../diga-client/client.ts';
import { DigaClientError } from '../../diga-client/errors.ts';
import { readJson, writeJsonPrivate } from '../../diga-client/files.ts';
import { parseMivs, type Miv } from '../../diga-client/hddt.ts';
import type { PollReport } from '../../diga-client/poller.ts';
import type { ClientSettings } from '../../diga-client/settings.ts';

interface ConnectionOptions {
  server?: string;
  fhirBase?: string;
  clientId?: string;
  redirectUri?: string;
  cert?: string;
  key?: string;
  ca?: string;
  stateDir: string;
  out?: string;
  accessLogDir?: string;
  /** false with --no-access-log */
  accessLog?: boolean;
  accessLogDays?: string;
}

const DEFAULT_STATE_DIR = './data/diga-client';

function withConnection(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'gateway (authorization server issuer) URL, e.g. https://localhost:8443')
    .option('--fhir-base <url>', 'FHIR base URL (default <server>/fhir)')
    .option('--client-id <id>', 'client_id, urn:diga:bfarm:NNNNN')
    .option('--redirect-uri <uri>', 'redirect URI registered in the DiGA directory')
    .option('--cert <file>', 'DiGA client certificate (PEM)')
    .option('--key <file>', 'DiGA client key (PEM)')
    .option('--ca <file>', 'CA certificate the gateway certificate chains to (PEM)')
    .option('--state-dir <dir>', 'folder for settings, tokens (0600) and poll state', DEFAULT_STATE_DIR)
    .option('--out <file>', 'output file, JSON lines (default <state-dir>/resources.jsonl)')
    .option(
      '--access-log-dir <dir>',
      "the DiGA's access log, daily JSON lines (default <state-dir>/access-log)",
    )
    .option('--no-access-log', 'do not write the access log (HDDT asks the DiGA to keep one)')
    .option('--access-log-days <n>', 'days the access log keeps, at least 30 (default 30)');
}

class Usage extends UsageError {}

/** The given options over the saved client.json; every setting must be known from one of them. */
function settingsFrom(o: ConnectionOptions): ClientSettings {
  const stateDir = path.resolve(o.stateDir);
  const saved = readJson<Partial<ClientSettings>>(path.join(stateDir, 'client.json')) ?? {};
  const abs = (f: string | undefined) => (f ? path.resolve(f) : undefined);
  const issuer = (o.server ?? saved.issuer)?.replace(/\/$/, '');
  const s = {
    issuer,
    fhirBase:
      o.fhirBase ?? (o.server ? undefined : saved.fhirBase) ?? (issuer ? `${issuer}/fhir` : undefined),
    clientId: o.clientId ?? saved.clientId,
    redirectUri: o.redirectUri ?? saved.redirectUri,
    certFile: abs(o.cert) ?? saved.certFile,
    keyFile: abs(o.key) ?? saved.keyFile,
    caFile: abs(o.ca) ?? saved.caFile,
    stateDir,
    outFile: abs(o.out) ?? saved.outFile ?? path.join(stateDir, 'resources.jsonl'),
    ...accessLogSettings(o, saved),
  };
  const missing = (
    [
      ['issuer', '--server'],
      ['clientId', '--client-id'],
      ['redirectUri', '--redirect-uri'],
      ['certFile', '--cert'],
      ['keyFile', '--key'],
      ['caFile', '--ca'],
    ] as const
  ).filter(([k]) => !s[k]);
  if (missing.length > 0) {
    throw new Usage(
      `missing ${missing.map(([, flag]) => flag).join(', ')} (not saved in ${stateDir} either)`,
    );
  }
  return s as ClientSettings;
}

/** Only a directory is taken from client.json: turning the log off needs --no-access-log on each command. */
function accessLogSettings(o: ConnectionOptions, saved: Partial<ClientSettings>) {
  const days = o.accessLogDays !== undefined ? Number(o.accessLogDays) : saved.accessLogRetentionDays;
  if (days !== undefined && !(Number.isInteger(days) && days >= 30)) {
    throw new Usage('--access-log-days must be a whole number of at least 30 (HDDT keeps 30 days)');
  }
  const savedDir = typeof saved.accessLogDir === 'string' ? saved.accessLogDir : undefined;
  return {
    accessLogDir: o.accessLog === false ? null : o.accessLogDir ? path.resolve(o.accessLogDir) : savedDir,
    accessLogRetentionDays: days,
  };
}

function run<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof Usage) {
        process.stderr.write(`hddt-gateway diga-client: ${err.message}\n`);
        process.exitCode = 2;
      } else if (err instanceof DigaClientError) {
        process.stderr.write(`hddt-gateway diga-client: ${err.message}\n`);
        // 2: bad settings; 3: pair again (not paired, or the grant is gone); 1: anything else (the catalogue's)
        process.exitCode = exitCodeOf(err);
      } else {
        process.stderr.write(
          `hddt-gateway diga-client: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exitCode = 1;
      }
    }
  };
}

function mivsOption(v: string | undefined): Miv[] {
  try {
    return parseMivs(v ?? 'bloodGlucose,cgm');
  } catch (err) {
    throw new Usage((err as Error).message);
  }
}

export function formatReport(r: PollReport): string {
  const w = r.written;
  return (
    `poll: +${w.cgm} CGM chunk versions, +${w.bg} BG observations, +${w.device} Device, ` +
    `+${w.deviceMetric} DeviceMetric; ${r.finalized.length} chunk(s) turned final, ` +
    `${r.backfilled.length} backfilled via _lastUpdated, ${r.openChunks} open; ${r.requests} request(s)`
  );
}

async function readLine(prompt: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(prompt);
  try {
    for await (const line of rl) if (line.trim() !== '') return line.trim();
  } finally {
    rl.close();
  }
  throw new Usage('no callback URL on standard input');
}

type PairOptions = ConnectionOptions & {
  miv?: string;
  username?: string;
  password?: string;
  totpSecret?: string;
};
type PollOptions = ConnectionOptions & { once?: boolean; interval: string; sinceDays: string };

/** Opens the client for one command and closes it whatever happens. */
async function withClient<T>(
  o: ConnectionOptions,
  fn: (c: DigaClient) => Promise<T>,
  extra?: Parameters<typeof DigaClient.open>[1],
): Promise<T> {
  const c = await DigaClient.open(settingsFrom(o), extra);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function info(o: ConnectionOptions): Promise<void> {
  await withClient(o, async (c) => {
    const md = c.metadata;
    process.stdout.write(`issuer:         ${md.issuer}\n`);
    process.stdout.write(`PAR endpoint:   ${md.pushed_authorization_request_endpoint}\n`);
    process.stdout.write(`scopes:         ${(md.scopes_supported ?? []).join(' ')}\n`);
    process.stdout.write(
      `FHIR:           ${c.capabilities.fhirVersion} ${c.capabilities.resources.join(', ')}\n`,
    );
    process.stdout.write(`$hddt-cgm-summary: ${c.capabilities.cgmSummaryOperation ? 'yes' : 'no'}\n`);
  });
}

/** Pairing by hand: the operator opens the authorize URL in the patient's browser and pastes the redirect. */
async function pairInteractively(c: DigaClient, mivs: ReturnType<typeof mivsOption>) {
  const pending = await c.startPairing(mivs);
  process.stdout.write(`Open this URL in the patient's browser (valid ${pending.expiresIn} s):\n`);
  process.stdout.write(`${pending.authorizeUrl}\n`);
  const cb = await readLine('Paste the URL the browser was redirected to:\n');
  let url: URL;
  try {
    url = new URL(cb);
  } catch {
    throw new Usage('that is not a URL');
  }
  return c.completePairing(pending, url);
}

async function pair(o: PairOptions): Promise<void> {
  const mivs = mivsOption(o.miv);
  const settings = settingsFrom(o);
  const creds = [o.username, o.password, o.totpSecret];
  if (creds.some((x) => x !== undefined) && creds.some((x) => x === undefined)) {
    throw new Usage('--username, --password and --totp-secret go together');
  }
  await withClient(o, async (c) => {
    writeJsonPrivate(path.join(settings.stateDir, 'client.json'), settings);
    const result = o.username
      ? await c.pairWithCredentials(mivs, {
          username: o.username,
          password: o.password!,
          totpSecret: o.totpSecret!,
        })
      : await pairInteractively(c, mivs);
    process.stdout.write(`paired: ${result.mivs.join(', ')}; access token valid until ${result.expiresAt}\n`);
  });
}

async function printSummary(c: DigaClient): Promise<void> {
  for (const line of c.formatSummary(await c.summary())) process.stdout.write(`${line}\n`);
}

async function poll(o: PollOptions): Promise<void> {
  const interval = Number(o.interval);
  const sinceDays = Number(o.sinceDays);
  if (!(interval >= 1)) throw new Usage('--interval must be at least 1 second');
  if (!(sinceDays > 0 && sinceDays <= 365)) throw new Usage('--since-days must be in 1..365');
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await withClient(
      o,
      async (c) => {
        do {
          const r = await c.pollOnce();
          process.stdout.write(`${new Date().toISOString()} ${formatReport(r)}\n`);
          if (o.once || stop) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, interval * 1000).unref();
          });
        } while (!stop);
        await printSummary(c);
      },
      { sinceDays },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function register(program: Command): void {
  const dc = program
    .command('diga-client')
    .description('reference DiGA client: pairing (PAR, PKCE, mTLS), HDDT polling, JSON lines output');

  withConnection(dc.command('info'))
    .description('read the authorization server metadata and the FHIR CapabilityStatement')
    .action(run(info));

  withConnection(dc.command('pair'))
    .description(
      'pair with a patient: PAR, then either print the authorize URL and read the redirect URL from stdin, ' +
        'or (demos, tests) log in with --username/--password/--totp-secret and consent',
    )
    .option('--miv <list>', 'MIVs to ask for: bloodGlucose,cgm', 'bloodGlucose,cgm')
    .option('--username <name>', "patient's username (logs in through the patient pages)")
    .option('--password <password>', "patient's password")
    .option('--totp-secret <base32>', "patient's TOTP secret (the current code is computed)")
    .action(run(pair));

  withConnection(dc.command('poll'))
    .description("poll in HDDT's pattern and append new resources to the output file; Ctrl-C stops")
    .option('--once', 'one poll cycle, then the summary')
    .option('--interval <seconds>', 'seconds between poll cycles', '60')
    .option('--since-days <n>', 'first poll: days of history to fetch', '30')
    .action(run(poll));

  withConnection(dc.command('summary'))
    .description('counts and latest values of the output file, and $hddt-cgm-summary when CGM is granted')
    .action(run((o: ConnectionOptions) => withClient(o, printSummary)));

  withConnection(dc.command('revoke'))
    .description('revoke the pairing (refresh token, grant, consent) and delete the stored tokens')
    .action(
      run((o: ConnectionOptions) =>
        withClient(o, async (c) => {
          await c.revoke();
          process.stdout.write('pairing revoked\n');
        }),
      ),
    );
}
