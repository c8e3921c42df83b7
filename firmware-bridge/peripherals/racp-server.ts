// The server side of the Record Access Control Point (0x2A52, spec A.5), shared by the CGM and the
// glucose simulator: request checks with the right response codes, record selection, the report
// transfer (notifications first, then the Response Code indication), abort, and the transfer faults.
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { dateTimeToEpochMs } from '../../drivers/codecs/date-time.ts';
import {
  RACP_OP_CODES,
  RACP_OPERATORS,
  RACP_FILTER_RECORD_NUMBER,
  RACP_FILTER_USER_FACING_TIME,
  decodeRacp,
  encodeRacp,
  type RacpFilter,
  type RacpRequest,
  type RacpResponseCodeName,
  type RacpService,
} from '../../drivers/codecs/racp.ts';
import { AttError, type VirtualPeripheral, type WriteResult } from '../hci/index.ts';
import { isEveryNth, type Faults } from './faults.ts';

export const RACP_UUID = '2a52';

/** What the RACP engine needs from a simulator's record store. */
export interface RacpBackend<R> {
  readonly service: RacpService;
  /** The notify characteristic records go out on (must be subscribed for a report). */
  readonly measurementUuid: string;
  records(): readonly R[];
  /** Filter type 0x01: Sequence Number (GLS) or Time Offset (CGMS). */
  recordNumber(r: R): number;
  /** Filter type 0x02 (GLS only): the user facing time as epoch ms of the wall clock read as UTC. */
  userFacingTime?(r: R): number;
  deleteRecords(selected: ReadonlySet<R>): void;
  /** Sends one record (with its context, if any); `position` is 1-based within the transfer. */
  sendRecord(r: R, position: number): Promise<void>;
  /**
   * Services whose measurement may carry several records per notification (CGMS, spec A.2): how many of
   * `selected[from..]` the next notification takes, at most `limit` (>= 1). Absent: one record each.
   */
  packCount?(selected: readonly R[], from: number, limit: number): number;
  /** Sends records as one notification; `firstPosition` is the 1-based position of rs[0]. */
  sendPacked?(rs: readonly R[], firstPosition: number): Promise<void>;
  sendMalformed(): boolean;
  faults(): Faults;
  /** called once each time the drop-link fault fires */
  dropLinkFired(): void;
  paceMs(): number;
}

export type TransferOutcome = 'success' | 'no-records' | 'aborted' | 'dropped';

export interface TransferEnd {
  readonly op: 'report';
  readonly sent: number;
  readonly outcome: TransferOutcome;
}

/** delay between the Nth record and the link drop */
export const DROP_DELAY_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Transfer {
  abort: boolean;
  linkLost: boolean;
}

class RacpRefusal extends Error {
  readonly opCode: number;
  readonly response: RacpResponseCodeName;

  constructor(opCode: number, response: RacpResponseCodeName) {
    super(response);
    this.opCode = opCode;
    this.response = response;
  }
}

const RECORD_OPS = new Set<number>([
  RACP_OP_CODES['report-stored-records'],
  RACP_OP_CODES['delete-stored-records'],
  RACP_OP_CODES['report-number-of-stored-records'],
]);
const FILTERED_OPERATORS = new Set<number>([
  RACP_OPERATORS['less-than-or-equal'],
  RACP_OPERATORS['greater-than-or-equal'],
  RACP_OPERATORS['within-range'],
]);

export class RacpServer<R> {
  private transfer: Transfer | null = null;

  private readonly peripheral: VirtualPeripheral;
  private readonly backend: RacpBackend<R>;
  private readonly onTransferEnd: (end: TransferEnd) => void;

  constructor(
    peripheral: VirtualPeripheral,
    backend: RacpBackend<R>,
    onTransferEnd: (end: TransferEnd) => void,
  ) {
    this.peripheral = peripheral;
    this.backend = backend;
    this.onTransferEnd = onTransferEnd;
    // a procedure ends with its link: a reconnecting central may start a new one at once
    peripheral.on('disconnect', () => {
      if (this.transfer) this.transfer.linkLost = true;
      this.transfer = null;
    });
  }

  get busy(): boolean {
    return this.transfer !== null;
  }

  /** The onWrite handler of 0x2A52. Answers are deferred so the Write Response goes out first. */
  onWrite(data: Buffer): WriteResult {
    if (!this.peripheral.subscription(RACP_UUID).indicate) return AttError.cccdImproperlyConfigured;
    const isAbort = data.length >= 1 && data[0] === RACP_OP_CODES['abort-operation'];
    if (this.transfer && !isAbort) return AttError.procedureAlreadyInProgress;
    let request: RacpRequest;
    try {
      request = this.parse(data);
    } catch (e) {
      if (!(e instanceof RacpRefusal)) throw e;
      setImmediate(() => void this.respond(e.opCode, e.response));
      return;
    }
    if (
      request.opCode === 'report-stored-records' &&
      !this.peripheral.subscription(this.backend.measurementUuid).notify
    ) {
      return AttError.cccdImproperlyConfigured;
    }
    if (request.opCode === 'abort-operation') {
      if (this.transfer) this.transfer.abort = true;
      else setImmediate(() => void this.respond(RACP_OP_CODES['abort-operation'], 'success'));
      return;
    }
    if (request.opCode === 'report-stored-records') {
      const transfer: Transfer = { abort: false, linkLost: false };
      this.transfer = transfer;
      const selected = this.select(request);
      setImmediate(() => void this.report(transfer, selected));
      return;
    }
    setImmediate(() => this.execute(request));
  }

  /** Request bytes → request, or the response code that refuses it (spec A.5 table). */
  private parse(data: Buffer): RacpRequest {
    const op = data.length > 0 ? data[0] : 0;
    const known = Object.values(RACP_OP_CODES).includes(op as never);
    const isRequestOp = RECORD_OPS.has(op) || op === RACP_OP_CODES['abort-operation'];
    if (!known || !isRequestOp) throw new RacpRefusal(op, 'op-code-not-supported');
    if (data.length < 2) throw new RacpRefusal(op, 'invalid-operator');
    const operator = data[1];
    if (operator > RACP_OPERATORS.last) throw new RacpRefusal(op, 'operator-not-supported');
    if (RECORD_OPS.has(op) && FILTERED_OPERATORS.has(operator) && data.length >= 3) {
      const filterType = data[2];
      const supported =
        filterType === RACP_FILTER_RECORD_NUMBER ||
        (filterType === RACP_FILTER_USER_FACING_TIME && this.backend.service === 'gls');
      if (!supported) throw new RacpRefusal(op, 'operand-not-supported');
    }
    try {
      const m = decodeRacp(data, { service: this.backend.service });
      if (!('operator' in m) && m.opCode !== 'abort-operation')
        throw new RacpRefusal(op, 'op-code-not-supported');
      return m as RacpRequest;
    } catch (e) {
      if (e instanceof RacpRefusal) throw e;
      if (!(e instanceof CodecError)) throw e;
      throw new RacpRefusal(op, e.code === 'ERR_INVALID_OPERATOR' ? 'invalid-operator' : 'invalid-operand');
    }
  }

  private select(request: Exclude<RacpRequest, { opCode: 'abort-operation' }>): R[] {
    const all = this.backend.records();
    switch (request.operator) {
      case 'all':
        return [...all];
      case 'first':
        return all.length > 0 ? [all[0]] : [];
      case 'last':
        return all.length > 0 ? [all[all.length - 1]] : [];
    }
    const key = this.keyOf(request.filter);
    const bounds = this.bounds(request.filter);
    const lo = request.operator === 'less-than-or-equal' ? -Infinity : bounds[0];
    const hi =
      request.operator === 'greater-than-or-equal'
        ? Infinity
        : request.operator === 'within-range'
          ? bounds[1]
          : bounds[0];
    return all.filter((r) => {
      const k = key(r);
      return k >= lo && k <= hi;
    });
  }

  private keyOf(filter: RacpFilter): (r: R) => number {
    if (filter.type === 'user-facing-time') {
      const uft = this.backend.userFacingTime;
      if (!uft) throw new Error('user facing time filter without a backend for it');
      return (r) => uft.call(this.backend, r);
    }
    return (r) => this.backend.recordNumber(r);
  }

  private bounds(filter: RacpFilter): number[] {
    if (filter.type !== 'user-facing-time') return [...filter.operands];
    // an unknown date in the operand matches nothing
    return filter.operands.map((dt) => dateTimeToEpochMs(dt) ?? NaN);
  }

  private execute(request: RacpRequest): void {
    if (request.opCode === 'abort-operation') return;
    const selected = this.select(request);
    if (request.opCode === 'report-number-of-stored-records') {
      void this.indicate(encodeRacp({ opCode: 'number-of-stored-records-response', count: selected.length }));
      return;
    }
    // delete
    if (selected.length > 0) this.backend.deleteRecords(new Set(selected));
    void this.respond(
      RACP_OP_CODES['delete-stored-records'],
      selected.length > 0 ? 'success' : 'no-records-found',
    );
  }

  /** How many records the next notification carries: never across a drop point or a malformed notification. */
  private nextCount(selected: readonly R[], i: number, sent: number): number {
    const pack = this.backend.packCount;
    if (!pack || !this.backend.sendPacked) return 1;
    const f = this.backend.faults();
    let limit = selected.length - i;
    if (f.dropLinkAfterRecords !== null && f.dropLinkTimes !== 0)
      limit = Math.min(limit, Math.max(1, f.dropLinkAfterRecords - sent));
    // a malformed notification goes out before every Nth position: it may only start a notification
    const m = f.malformedEvery;
    if (m !== null) limit = Math.min(limit, m - ((sent + 1) % m));
    return limit <= 1 ? 1 : Math.max(1, Math.min(limit, pack.call(this.backend, selected, i, limit)));
  }

  private async report(transfer: Transfer, selected: R[]): Promise<void> {
    let sent = 0;
    let notifications = 0;
    let outcome: TransferOutcome = selected.length > 0 ? 'success' : 'no-records';
    try {
      for (let i = 0; i <= selected.length;) {
        if (this.shouldDrop(sent)) {
          this.backend.dropLinkFired();
          // A real link loss shows only after the supervision timeout; dropping at once would put the
          // Disconnection Complete in the same UART read as the Write Response, and noble then fails
          // the already answered write ("Disconnected 8").
          await sleep(DROP_DELAY_MS);
          if (!transfer.linkLost) this.peripheral.dropLink();
          outcome = 'dropped';
          return;
        }
        if (i === selected.length) break;
        if (transfer.abort) break;
        if (transfer.linkLost) {
          outcome = 'dropped';
          return;
        }
        const position = sent + 1;
        if (isEveryNth(position, this.backend.faults().malformedEvery)) this.backend.sendMalformed();
        const n = this.nextCount(selected, i, sent);
        if (n === 1) await this.backend.sendRecord(selected[i], position);
        else if (this.backend.sendPacked) await this.backend.sendPacked(selected.slice(i, i + n), position);
        if (transfer.linkLost) {
          outcome = 'dropped';
          return;
        }
        sent += n;
        i += n;
        notifications++;
        const pace = this.backend.paceMs();
        if (pace > 0) await sleep(pace);
        else if (notifications % 16 === 0) await yieldToIo(); // lets an Abort (or a disconnect) in
      }
      if (transfer.abort) outcome = 'aborted';
    } finally {
      if (this.transfer === transfer) this.transfer = null;
      this.onTransferEnd({ op: 'report', sent, outcome });
    }
    if (transfer.linkLost) return;
    if (outcome === 'aborted') await this.respond(RACP_OP_CODES['abort-operation'], 'success');
    else {
      await this.respond(
        RACP_OP_CODES['report-stored-records'],
        outcome === 'success' ? 'success' : 'no-records-found',
      );
    }
  }

  private shouldDrop(sent: number): boolean {
    const f = this.backend.faults();
    return f.dropLinkAfterRecords !== null && sent >= f.dropLinkAfterRecords && f.dropLinkTimes !== 0;
  }

  private respond(requestOpCode: number, response: RacpResponseCodeName): Promise<void> {
    return this.indicate(encodeRacp({ opCode: 'response-code', requestOpCode, response }));
  }

  private async indicate(bytes: Uint8Array): Promise<void> {
    // the link may be gone, or the central may have turned indications off meanwhile
    if (!this.peripheral.subscription(RACP_UUID).indicate) return;
    await this.peripheral.indicate(RACP_UUID, bytes).catch(() => undefined);
  }
}
