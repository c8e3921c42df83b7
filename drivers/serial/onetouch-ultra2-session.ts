// LifeScan OneTouch Ultra 2 (and Ultra / Ultra Smart) over the "DM" text protocol, 9600 8N1 (spec D.1).
// Every reply is one checksummed line. A dump (DMP) is a header line and one line per record with no
// per-line acknowledgement, so a bad line fails the attempt: the gateway waits for the meter to go quiet and
// asks for the dump again (bounded). Lines that verified are kept; duplicates across attempts are skipped.
import { CodecError } from '../codecs/codec-error.ts';
import { decodeOneTouchLine, encodeOneTouchCommand } from '../codecs/onetouch-ultra2-line.ts';
import {
  decodeUltra2Clock,
  decodeUltra2DumpHeader,
  decodeUltra2Record,
  decodeUltra2Serial,
  decodeUltra2Unit,
} from '../codecs/onetouch-ultra2-payload.ts';
import { LinkSession } from './link-session.ts';
import { MeterError } from './meter-error.ts';
import type { FetchProgress, MeterConfig, MeterRecord, MeterSession } from './meter-session.ts';
import type { SerialLink } from './serial-link.ts';

export const ULTRA2_BAUD_RATE = 9600;
const MAX_LINE = 300;
const MAX_DUMP_MS = 120_000;

/** Cuts at LF; a run of MAX_LINE bytes without one is noise and is dropped. */
export function cutLine(buf: Buffer): number {
  const lf = buf.indexOf(0x0a);
  if (lf >= 0) return lf + 1;
  return buf.length > MAX_LINE ? -buf.length : 0;
}

export class OneTouchUltra2Session extends LinkSession<SerialLink> implements MeterSession {
  readonly protocol = 'onetouch-ultra2' as const;
  private config: MeterConfig | null = null;

  private async readLine(what: string): Promise<{ line: string; payload: string }> {
    const bytes = await this.link.read(cutLine, this.opts.timeouts.replyMs, what);
    const line = bytes.toString('latin1');
    return { line, payload: decodeOneTouchLine(line).payload };
  }

  /** Sends a command and decodes its one-line reply, retrying on silence or a corrupt line. */
  private command<T>(command: string, decode: (payload: string) => T): Promise<T> {
    return this.attempts(
      async (attempt) => {
        if (attempt > 0) await this.link.flush(this.opts.timeouts.quietMs);
        await this.link.write(encodeOneTouchCommand(command));
        const { payload } = await this.readLine(`reply to ${command}`);
        return decode(payload);
      },
      (last) => `${command}: no valid reply after ${this.opts.retries + 1} attempts (${last})`,
    );
  }

  async connect(): Promise<void> {
    await this.link.flush(this.opts.timeouts.quietMs / 3);
    await this.command('DM?', (p) => {
      if (!p.startsWith('?'))
        throw new CodecError('ERR_MALFORMED', `DM? reply ${JSON.stringify(p)} is not a version`);
      return p.slice(1);
    });
  }

  async readConfig(): Promise<MeterConfig> {
    const serialNumber = await this.command('DM@', decodeUltra2Serial);
    const clock = await this.command('DMF', (p) => ({ ...decodeUltra2Clock(p), readAt: this.opts.now() }));
    const displayUnit = await this.command('DMSU?', decodeUltra2Unit);
    this.config = {
      manufacturer: 'LifeScan',
      model: 'OneTouch Ultra 2',
      serialNumber,
      displayUnit,
      meterTime: clock.deviceTime,
      meterLocalTime: clock.localTime,
      readAt: clock.readAt,
    };
    return this.config;
  }

  async fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void> {
    const delivered = new Set<string>();
    await this.attempts(
      async (attempt) => {
        // A real meter keeps streaming the failed dump (999 lines take about a minute at 9600 baud): wait
        // until it is really quiet before asking again.
        if (attempt > 0) await this.link.flush(this.opts.timeouts.quietMs, MAX_DUMP_MS);
        await this.link.write(encodeOneTouchCommand('DMP'));
        await this.readDump(delivered, onRecord, onProgress);
      },
      (last) => `dump failed ${this.opts.retries + 1} times (${last})`,
    );
  }

  /** One dump attempt: the header, then each record line not `delivered` by an attempt before. */
  private async readDump(
    delivered: Set<string>,
    onRecord: (r: MeterRecord) => void,
    onProgress?: FetchProgress,
  ): Promise<void> {
    const header = decodeUltra2DumpHeader((await this.readLine('dump header')).payload);
    if (this.config && header.serial !== this.config.serialNumber) {
      throw new MeterError(
        'ERR_PROTOCOL',
        `dump header serial ${header.serial} != ${this.config.serialNumber}`,
      );
    }
    onProgress?.(0, header.count);
    for (let i = 0; i < header.count; i++) {
      const { line, payload } = await this.readLine(`dump record ${i + 1} of ${header.count}`);
      const rec = decodeUltra2Record(payload);
      const key = `${i}:${payload}`;
      if (delivered.has(key)) continue;
      delivered.add(key);
      const r: MeterRecord = {
        localTime: rec.localTime,
        deviceTime: rec.deviceTime,
        valueToken:
          rec.flag === 'high' ? 'HI' : rec.flag === 'low' ? 'LO' : String(rec.value).padStart(3, '0'),
        value: rec.value,
        unit: 'mg/dL', // the Ultra 2 stores mg/dL whatever it displays
        controlSolution: rec.control,
        raw: line,
        receivedAt: this.opts.now(),
      };
      if (rec.flag) r.flag = rec.flag;
      if (rec.parityError) r.unusable = 'the meter marks this record unreliable (parity error "?")';
      onRecord(r);
      onProgress?.(delivered.size, header.count);
    }
  }

  async disconnect(): Promise<void> {
    // The DM protocol has no session to end.
  }
}
