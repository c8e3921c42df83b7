// The collector side of the Record Access Control Point (spec A.5): write a request, then wait for its
// Response Code (or Number of Stored Records) indication. The wait is an inactivity timeout: every record that
// arrives meanwhile (touch()) restarts it, so a 20,160-record transfer is not cut off, while a server that goes
// quiet is aborted with `03 00`.
import { GatewayError } from '../../lib/errors.ts';
import { CodecError } from '../codecs/codec-error.ts';
import {
  decodeRacp,
  encodeRacp,
  RACP_OP_CODES,
  type RacpRequest,
  type RacpResponse,
  type RacpService,
} from '../codecs/racp.ts';
import { CHAR } from './uuids.ts';
import { EventEmitter } from 'node:events';
import { LinkError, type GattLink } from './transport.ts';

/** Observers (metrics) learn how long each RACP procedure took: (service, outcome, seconds). */
export const racpTimings = new EventEmitter();

export class RacpError extends GatewayError {
  constructor(message: string) {
    super('ERR_RACP', message);
  }
}

interface Pending {
  opCode: number;
  resolve(r: RacpResponse): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | null;
  /** now() of the last sign of life (the request written, or a record) */
  lastActivity: number;
}

export class RacpClient {
  private pending: Pending | null = null;

  private readonly link: GattLink;
  private readonly service: string;
  private readonly racpService: RacpService;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    link: GattLink,
    service: string,
    racpService: RacpService,
    timeoutMs: number,
    /** monotonic milliseconds (injectable for tests) */
    now: () => number = () => performance.now(),
  ) {
    this.link = link;
    this.service = service;
    this.racpService = racpService;
    this.timeoutMs = timeoutMs;
    this.now = now;
    link.onDisconnect((reason) => this.fail(new LinkError('disconnected', `RACP: link lost (${reason})`)));
  }

  /** Subscribe to RACP indications; call before any request (else the server answers 0xFD). */
  subscribe(): Promise<void> {
    return this.link.subscribe(this.service, CHAR.racp, (v) => this.onIndication(v));
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  /**
   * A record arrived for the running procedure: the server is alive. Called once per notification, so it only
   * notes the time; the one timer re-arms itself for the rest of the window when it fires (a clearTimeout +
   * setTimeout per record cost more than the rest of the record's handling).
   */
  touch(): void {
    if (this.pending) this.pending.lastActivity = this.now();
  }

  async request(req: RacpRequest): Promise<RacpResponse> {
    const started = performance.now();
    const outcome = (o: string) =>
      racpTimings.emit('procedure', this.racpService, o, (performance.now() - started) / 1000);
    return this.requestOnce(req).then(
      (res) => {
        outcome('response');
        return res;
      },
      (err: unknown) => {
        outcome(err instanceof LinkError ? 'link-lost' : 'failed');
        throw err;
      },
    );
  }

  private async requestOnce(req: RacpRequest): Promise<RacpResponse> {
    if (this.pending) throw new RacpError('a RACP procedure is already running');
    const bytes = encodeRacp(req);
    const answer = new Promise<RacpResponse>((resolve, reject) => {
      this.pending = { opCode: RACP_OP_CODES[req.opCode], resolve, reject, timer: null, lastActivity: 0 };
    });
    answer.catch(() => undefined);
    try {
      await this.link.write(this.service, CHAR.racp, bytes);
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
    if (this.pending) this.arm(this.pending);
    return answer;
  }

  private arm(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.lastActivity = this.now();
    this.armFor(p, this.timeoutMs);
  }

  private armFor(p: Pending, ms: number): void {
    p.timer = setTimeout(() => {
      p.timer = null;
      if (this.pending !== p) return;
      const quiet = this.now() - p.lastActivity;
      if (quiet < this.timeoutMs) {
        this.armFor(p, this.timeoutMs - quiet);
        return;
      }
      this.fail(new RacpError(`RACP: no record and no response within ${this.timeoutMs} ms`));
      // best effort: tell the server to stop; the link may be gone already
      this.link
        .write(this.service, CHAR.racp, encodeRacp({ opCode: 'abort-operation' }))
        .catch(() => undefined);
    }, ms);
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.timer) clearTimeout(p.timer);
    p.reject(err);
  }

  private onIndication(value: Buffer): void {
    let msg;
    try {
      msg = decodeRacp(value, { service: this.racpService });
    } catch (err) {
      const detail = err instanceof CodecError ? err.message : String(err);
      this.fail(new RacpError(`RACP: undecodable indication ${value.toString('hex')}: ${detail}`));
      return;
    }
    const p = this.pending;
    if (!p) return; // a late answer to an aborted procedure
    if (msg.opCode === 'response-code' && msg.requestOpCode !== p.opCode) return;
    if (msg.opCode !== 'response-code' && msg.opCode !== 'number-of-stored-records-response') return;
    this.pending = null;
    if (p.timer) clearTimeout(p.timer);
    p.resolve(msg);
  }
}

/** "Report stored records" from `next` on (or all when nothing is stored yet). */
export function reportFrom(
  next: number | null,
  filter: 'sequence-number' | 'time-offset',
): RacpRequest | null {
  if (next === null) return { opCode: 'report-stored-records', operator: 'all' };
  if (next > 0xffff) return null; // the uint16 counter is exhausted: nothing newer can be asked for
  return {
    opCode: 'report-stored-records',
    operator: 'greater-than-or-equal',
    filter: { type: filter, operands: [next] },
  };
}
