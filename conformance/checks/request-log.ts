// The DDR's self-logged monitoring (§4.5), when the kit is given its request log (JSON lines, a file or a folder
// of them): every request the kit sent is there, each line has the HDDT fields, timestamps carry a zone,
// pairing_id is the token's sub, and nothing the kit knows to be secret (tokens, codes, verifiers, request_uris,
// passwords, TOTP codes) or identifying (usernames) appears in any line.
import fs from 'node:fs';
import path from 'node:path';
import type { RequestLogLine } from '../../server/audit/request-log-line.ts';
import { defineChecks, expect, skip } from '../check.ts';
import type { Group, KitContext } from '../context.ts';

const C = defineChecks('request-log', {
  present: {
    section: '4.5',
    level: 'MUST',
    requirement: 'the request log holds machine-readable lines (JSON lines) of the kit’s run',
  },
  fields: {
    section: '4.5',
    level: 'MUST',
    requirement:
      'each line has the HDDT fields data_volume_bytes, error_code, error_description, event_type, interface_id, message, pairing_id, partner_id, response_time_ms, status, timestamp, transaction_id',
  },
  timestamp: { section: '4.5', level: 'MUST', requirement: 'timestamp is ISO-8601 with a time zone' },
  coverage: {
    section: '4.5',
    level: 'MUST',
    requirement:
      'every request the kit sent with a client certificate to the authorization server and the FHIR API is in the log',
  },
  pairingId: {
    section: '4.5',
    level: 'MUST',
    requirement: 'FHIR requests are logged with pairing_id = the access token’s sub',
  },
  noSecrets: {
    section: '4.5',
    level: 'MUST',
    requirement: 'no token, code, PKCE verifier, request_uri, password or TOTP code appears in the log',
  },
  noPatientData: {
    section: '4.3',
    level: 'MUST',
    requirement: 'no username or other credential of the test patients appears in the log',
  },
  transactionIds: { section: '4.5', level: 'SHOULD', requirement: 'transaction_id is unique per line' },
});

/** HDDT §4.5's fields (checksum is optional there), held to this gateway's own line type by the compiler. */
export const HDDT_LOG_FIELDS = [
  'data_volume_bytes',
  'error_code',
  'error_description',
  'event_type',
  'interface_id',
  'message',
  'pairing_id',
  'partner_id',
  'response_time_ms',
  'status',
  'timestamp',
  'transaction_id',
] as const satisfies ReadonlyArray<keyof RequestLogLine>;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function logFiles(p: string): string[] {
  const st = fs.statSync(p);
  if (st.isFile()) return [p];
  return fs
    .readdirSync(p)
    .filter((f) => f.endsWith('.jsonl') || f.endsWith('.json') || f.endsWith('.log'))
    .sort()
    .map((f) => path.join(p, f));
}

interface Read {
  lines: Array<Record<string, unknown>>;
  text: string;
  unparsable: number;
}

function readLog(p: string, fromMs: number): Read {
  const out: Read = { lines: [], text: '', unparsable: 0 };
  for (const f of logFiles(p)) {
    const text = fs.readFileSync(f, 'utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.unparsable++;
        continue;
      }
      const t = Date.parse(String(o.timestamp ?? ''));
      if (!Number.isNaN(t) && t < fromMs) continue;
      out.lines.push(o);
      out.text += `${line}\n`;
    }
  }
  return out;
}

/** How many requests a line stands for (lines that count many requests at once carry aggregate.count). */
const weight = (l: Record<string, unknown>) => {
  const n = (l.aggregate as { count?: unknown } | undefined)?.count;
  return typeof n === 'number' ? n : 1;
};

async function run(ctx: KitContext, startedMs: number): Promise<void> {
  const dir = ctx.opts.requestLog;
  if (!dir) {
    ctx.rec.skipAll(Object.values(C), 'no request log given (--request-log)');
    return;
  }
  // the DDR may write its lines a moment after the answer
  await new Promise((r) => setTimeout(r, 1500));
  const log = readLog(dir, startedMs - 5000);
  await ctx.rec.check(C.present, () => {
    expect(log.lines.length > 0, `no lines since the run started in ${dir}`);
    expect(log.unparsable === 0, `${log.unparsable} lines are not JSON`);
    return `${log.lines.length} lines`;
  });
  const requestLines = log.lines.filter((l) => !l.dropped && l.interface_id !== 'request-log');
  await ctx.rec.check(C.fields, () => {
    const bad = requestLines.filter((l) => HDDT_LOG_FIELDS.some((f) => !(f in l)));
    const missing = new Set(bad.flatMap((l) => HDDT_LOG_FIELDS.filter((f) => !(f in l))));
    expect(bad.length === 0, `${bad.length} lines lack ${[...missing].join(', ')}`);
    const typed = requestLines.filter(
      (l) => typeof l.status !== 'number' || typeof l.response_time_ms !== 'number',
    );
    expect(typed.length === 0, `${typed.length} lines with a non-numeric status or response_time_ms`);
  });
  await ctx.rec.check(C.timestamp, () => {
    const bad = log.lines.filter((l) => !ISO_WITH_ZONE.test(String(l.timestamp)));
    expect(
      bad.length === 0,
      `${bad.length} timestamps without zone, e.g. ${JSON.stringify(bad[0]?.timestamp)}`,
    );
  });
  await ctx.rec.check(C.coverage, () => {
    const as = ['pushed_authorization_request_endpoint', 'token_endpoint', 'revocation_endpoint'].map((k) =>
      String(ctx.metadata?.[k]),
    );
    // requests without a client certificate are not a DiGA's: a DDR may count them instead of logging each
    const sent = ctx.rec.all.filter((e) => {
      const url = e.request.url.split('?')[0]!;
      const status = e.response?.status ?? 0;
      return (
        status !== 0 &&
        status !== 429 &&
        e.request.identity !== 'none' &&
        (url.startsWith(ctx.opts.fhirBase) || as.includes(url))
      );
    }).length;
    const logged = requestLines.reduce((n, l) => n + weight(l), 0);
    expect(logged >= sent, `${logged} requests logged, the kit sent ${sent}`);
    return `${sent} sent, ${logged} logged`;
  });
  await ctx.rec.check(C.pairingId, () => {
    const sub = ctx.pairings.get('a1')?.tokens.sub;
    if (!sub) skip('no pairing of patient A');
    const n = requestLines.filter((l) => l.pairing_id === sub).length;
    expect(n > 0, 'no line carries patient A’s Pairing ID');
    return `${n} lines with A’s Pairing ID`;
  });
  await ctx.rec.check(C.noSecrets, () => {
    // a 6-digit TOTP code could be any number in a line: looked for as a value, not as a substring
    const totp = ctx.browsers.secrets.filter(
      (c) => log.text.includes(`"${c}"`) || log.text.includes(`=${c}`),
    );
    const found = [...ctx.secrets].filter((s) => s.length >= 8 && log.text.includes(s)).concat(totp);
    expect(found.length === 0, `${found.length} secrets of the run appear in the log`);
    return `${ctx.secrets.size} secrets looked for`;
  });
  await ctx.rec.check(C.noPatientData, () => {
    const creds = Object.values(ctx.opts.login?.patients ?? {}).flatMap((c) => Object.values(c ?? {}));
    const found = creds.filter((c) => c.length >= 4 && log.text.includes(c));
    expect(found.length === 0, `${found.length} credentials of the test patients appear in the log`);
  });
  await ctx.rec.check(C.transactionIds, () => {
    const tx = requestLines.map((l) => l.transaction_id);
    expect(new Set(tx).size === tx.length, `${tx.length - new Set(tx).size} repeated transaction_ids`);
  });
}

export function requestLogGroup(startedMs: number): Group {
  return { name: 'request-log', checks: C, run: (ctx) => run(ctx, startedMs) };
}
