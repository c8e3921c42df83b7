// In-memory USB links with a simulated meter behind them: the gateway's HID and SCSI link interfaces
// (drivers/usb/usb-link.ts) at the report / command level, so a whole dump runs in a test without hardware.
// `unplug()` makes every pending and later call fail the way a pulled cable does.
import { MeterError } from '../../drivers/serial/meter-error.ts';
import type { HidLink, ScsiLink, ScsiRequest } from '../../drivers/usb/usb-link.ts';

/** What a simulated HID meter does with one output report: answer through `send`, or `unplug`. */
export interface HidMeterModel {
  output(report: Uint8Array, io: { send(report: Uint8Array): void; unplug(): void }): void;
}

export class SimulatedHidLink implements HidLink {
  readonly kind = 'hid' as const;
  private readonly inbox: Uint8Array[] = [];
  private waiter: ((r: Uint8Array | null) => void) | null = null;
  private gone = false;
  /** Every report the gateway wrote, for assertions. */
  readonly written: Uint8Array[] = [];

  private readonly model: HidMeterModel;

  constructor(model: HidMeterModel) {
    this.model = model;
  }

  private readonly io = {
    send: (report: Uint8Array): void => {
      if (this.gone) return;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(report);
      } else this.inbox.push(report);
    },
    unplug: (): void => this.unplug(),
  };

  unplug(): void {
    this.gone = true;
    this.inbox.length = 0;
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.gone) throw new MeterError('ERR_PORT_CLOSED', 'simulated meter unplugged');
    if (report.length !== 64) throw new Error(`output report of ${report.length} bytes, the meters take 64`);
    this.written.push(report);
    this.model.output(report, this.io);
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    if (this.gone) return Promise.reject(new MeterError('ERR_PORT_CLOSED', 'simulated meter unplugged'));
    const next = this.inbox.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new MeterError('ERR_TIMEOUT', `no report within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        if (r) resolve(r);
        else reject(new MeterError('ERR_PORT_CLOSED', 'simulated meter unplugged'));
      };
    });
  }

  async close(): Promise<void> {
    this.unplug();
  }
}

export interface ScsiAnswer {
  /** Data-in bytes (READ, INQUIRY). */
  data?: Uint8Array;
  /** The device is gone (unplugged): the command fails as an open/transport error. */
  gone?: boolean;
  /** CHECK CONDITION with this text (e.g. an unsupported command). */
  check?: string;
}

export interface ScsiMeterModel {
  command(cdb: Uint8Array, dataOut?: Uint8Array): ScsiAnswer;
}

export class SimulatedScsiLink implements ScsiLink {
  readonly kind = 'scsi' as const;
  private closed = false;
  private readonly model: ScsiMeterModel;

  constructor(model: ScsiMeterModel) {
    this.model = model;
  }

  async execute(req: ScsiRequest): Promise<Uint8Array> {
    if (this.closed) throw new MeterError('ERR_PORT_CLOSED', 'link closed');
    const a = this.model.command(req.cdb, req.dataOut);
    if (a.gone) throw new MeterError('ERR_PORT_CLOSED', 'simulated meter unplugged');
    if (a.check) throw new MeterError('ERR_PROTOCOL', `CHECK CONDITION: ${a.check}`);
    return (a.data ?? new Uint8Array(0)).slice(0, req.dataInLength ?? 0);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
