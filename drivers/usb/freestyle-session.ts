// Abbott FreeStyle meters over the shared HID protocol (glucometer-protocols abbott/shared-hid-protocol.md;
// glucometerutils support/freestyle.py; Tidepool freeStyleLibreProtocol.js, abbottFreeStyleNeo.js):
// INIT (01 → 71 01 01), then text commands of message type 0x60 whose replies span reports until
// `CMD OK`/`CMD Fail!`, each checked by its CKSM sum. Keep-alive reports (0x22) are skipped wherever they come.
// Ketone results, Libre sensor scans and results the meter marks as errors are complete records kept out of the
// store with a counted reason; control-solution tests are handed over marked (stored for audit, never an
// Observation).
import { CodecError } from '../codecs/codec-error.ts';
import {
  FREESTYLE_TYPE,
  decodeFreeStyleReport,
  encodeFreeStyleReport,
  encodeFreeStyleText,
} from '../codecs/freestyle-hid-report.ts';
import {
  decodeFreeStyleClock,
  decodeFreeStyleResult,
  type FreeStyleFamily,
  type FreeStyleResult,
} from '../codecs/freestyle-records.ts';
import {
  decodeFreeStyleLog,
  decodeFreeStyleReply,
  freeStyleReplyComplete,
} from '../codecs/freestyle-text.ts';
import { LinkSession } from '../serial/link-session.ts';
import { MeterError } from '../serial/meter-error.ts';
import type { FetchProgress, MeterConfig, MeterRecord, SessionOptions } from '../serial/meter-session.ts';
import type { HidLink } from './usb-link.ts';
import { resultRecord, unusableRecord } from '../serial/meter-readings.ts';
import type { UsbMeterSession } from './usb-session.ts';

export const FREESTYLE_FAMILY_NAMES: Record<FreeStyleFamily, string> = {
  neo: 'FreeStyle Precision/Optium Neo',
  insulinx: 'FreeStyle InsuLinx',
  libre: 'FreeStyle Libre (reader)',
};

/** Longest text reply we assemble (a full Libre log is some hundred kilobytes). */
const MAX_REPLY = 4 * 1024 * 1024;

export class FreeStyleSession extends LinkSession<HidLink> implements UsbMeterSession {
  readonly protocol = 'freestyle-hid' as const;

  private readonly family: FreeStyleFamily;
  private readonly model?: string;

  constructor(link: HidLink, family: FreeStyleFamily, opts: SessionOptions, model?: string) {
    super(link, opts);
    this.family = family;
    this.model = model;
  }

  /** Next report that is not a keep-alive; garbage (an unreadable report) is a CodecError. */
  private async report(): Promise<{ type: number; payload: Uint8Array }> {
    for (;;) {
      const r = decodeFreeStyleReport(await this.link.read(this.opts.timeouts.replyMs));
      if (r.type === FREESTYLE_TYPE.KEEPALIVE) continue;
      if (r.type === FREESTYLE_TYPE.UNKNOWN_COMMAND) {
        throw new MeterError('ERR_PROTOCOL', 'the meter does not know the message type it was sent');
      }
      return r;
    }
  }

  /** Runs `attempt` up to 1 + retries times while it fails with a CodecError or a timeout. */
  private retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    return this.attempts(attempt, (last) => `${what} failed ${this.opts.retries + 1} times: ${last}`, {
      afterFailure: () => this.drain(),
    });
  }

  /** Reads what is left of a broken reply so the next command starts clean. */
  private async drain(): Promise<void> {
    try {
      for (let n = 0; n < 4096; n++) await this.link.read(this.opts.timeouts.quietMs);
    } catch (err) {
      if (!(err instanceof MeterError && err.code === 'ERR_TIMEOUT')) throw err;
    }
  }

  async connect(): Promise<void> {
    await this.retrying('INIT', async () => {
      await this.link.write(encodeFreeStyleReport({ type: FREESTYLE_TYPE.INIT, payload: new Uint8Array(0) }));
      const r = await this.report();
      if (r.type !== FREESTYLE_TYPE.INIT_REPLY || r.payload[0] !== 0x01) {
        throw new CodecError('ERR_MALFORMED', `INIT answered with type 0x${r.type.toString(16)}`);
      }
    });
  }

  /** One text command; resolves to the reply message (CRLFs kept), checksum verified. */
  async text(command: string): Promise<string> {
    return this.retrying(command, async () => {
      await this.link.write(encodeFreeStyleText(FREESTYLE_TYPE.TEXT, command));
      let text = '';
      while (!freeStyleReplyComplete(text)) {
        const r = await this.report();
        if (r.type !== FREESTYLE_TYPE.TEXT) {
          throw new CodecError(
            'ERR_MALFORMED',
            `reply to ${command} has message type 0x${r.type.toString(16)}`,
          );
        }
        text += Buffer.from(r.payload).toString('latin1');
        if (text.length > MAX_REPLY)
          throw new MeterError('ERR_PROTOCOL', `reply to ${command} is over 4 MiB`);
      }
      const reply = decodeFreeStyleReply(text);
      if (!reply.ok) throw new MeterError('ERR_PROTOCOL', `the meter refused ${command} (CMD Fail!)`);
      return reply.message;
    });
  }

  async readConfig(): Promise<MeterConfig> {
    const serial = (await this.text(this.family === 'libre' ? '$sn?' : '$serlnum?')).trim();
    let displayUnit: MeterConfig['displayUnit'] = 'mg/dL';
    if (this.family === 'libre') displayUnit = (await this.text('$uom?')).trim() === '0' ? 'mmol/L' : 'mg/dL';
    const date = await this.text('$date?');
    const time = await this.text('$time?');
    const readAt = this.opts.now();
    let local: string;
    try {
      local = decodeFreeStyleClock(date, time);
    } catch (err) {
      if (err instanceof CodecError) throw new MeterError('ERR_PROTOCOL', `meter clock: ${err.message}`);
      throw err;
    }
    if (serial === '') throw new MeterError('ERR_PROTOCOL', 'the meter reports no serial number');
    return {
      manufacturer: 'Abbott',
      model: this.model ?? FREESTYLE_FAMILY_NAMES[this.family],
      serialNumber: serial,
      displayUnit,
      meterTime: `${date.trim()} ${time.trim()}`,
      meterLocalTime: local,
      readAt,
    };
  }

  async fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void> {
    onProgress?.(0, undefined);
    const command = this.family === 'libre' ? '$arresult?' : '$result?';
    const lines = await this.retrying(
      command,
      async () => decodeFreeStyleLog(await this.text(command)).lines,
    );
    let done = 0;
    for (const line of lines) {
      onProgress?.(++done, lines.length);
      const r = this.toMeterRecord(line);
      if (r) onRecord(r);
    }
  }

  private toMeterRecord(line: string): MeterRecord | null {
    const receivedAt = this.opts.now();
    let r: FreeStyleResult;
    try {
      r = decodeFreeStyleResult(this.family, line);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      return unusableRecord(line, receivedAt, `unreadable record: ${err.message}`);
    }
    if (r.kind === 'other') return null; // insulin, time changes, titration: not measurements
    const why =
      r.kind === 'ketone'
        ? 'β-ketone result, not glucose: kept out of the store'
        : r.kind === 'sensor-scan'
          ? 'sensor scan (interstitial CGM value), not a blood test: not imported over USB'
          : r.errors
            ? `the meter marks this result as an error (${r.errors})`
            : undefined;
    if (why) return unusableRecord(line, receivedAt, why, r.localTime);
    return resultRecord({ ...r, deviceTime: r.localTime }, line, receivedAt);
  }

  async disconnect(): Promise<void> {
    // The meter needs no goodbye (glucometerutils and Tidepool send none).
  }
}
