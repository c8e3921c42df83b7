// A simulated HID meter as a real kernel HID device, through Linux UHID (/dev/uhid): the kernel makes a hidraw
// node for it, so node-hid (hidapi's hidraw backend) enumerates, opens, writes and reads it as it does a plugged
// meter. Output reports the host writes arrive as UHID_OUTPUT events and go to the report-level simulator
// (HidMeterModel, usb-sim-link.ts); its replies go back as UHID_INPUT2 events.
//
// Event layout: include/uapi/linux/uhid.h (torvalds/linux): struct uhid_event is a packed `__u32 type` followed
// by a union whose largest member is struct uhid_create2_req (4372 bytes); since the union also holds struct
// uhid_start_req { __u64 dev_flags } it is padded to 4376, so sizeof(struct uhid_event) = 4380. Every offset
// below was checked with offsetof() against the linux-libc-dev 6.1 header. Behaviour: drivers/hid/uhid.c —
// uhid_char_write copies min(count, sizeof) bytes and zero-fills the rest (a whole event is always right, also
// on kernels with the 4376-byte event), uhid_char_read hands out one queued event per read and returns EAGAIN
// under O_NONBLOCK when none is queued; uhid_hid_output_raw passes the hidraw write on unchanged, and a hidraw
// write starts with the report number (drivers/hid/hidraw.c), which for a device without report ids is a 0.
import fs from 'node:fs';
import type { HidMeterModel } from './usb-sim-link.ts';

export const UHID_EVENT_SIZE = 4380;
export const UHID_DATA_MAX = 4096;
export const HID_MAX_DESCRIPTOR_SIZE = 4096;
/** enum uhid_event_type (0, 7 and 8 are the obsolete UHID_CREATE, UHID_OUTPUT_EV, UHID_INPUT). */
export const UHID = {
  DESTROY: 1,
  START: 2,
  STOP: 3,
  OPEN: 4,
  CLOSE: 5,
  OUTPUT: 6,
  GET_REPORT: 9,
  GET_REPORT_REPLY: 10,
  CREATE2: 11,
  INPUT2: 12,
  SET_REPORT: 13,
  SET_REPORT_REPLY: 14,
} as const;
/** enum uhid_report_type. */
export const UHID_FEATURE_REPORT = 0;
export const UHID_OUTPUT_REPORT = 1;
export const UHID_INPUT_REPORT = 2;
/** enum uhid_dev_flag (UHID_START's dev_flags). */
export const UHID_DEV_NUMBERED_OUTPUT_REPORTS = 1 << 1;
/** include/uapi/linux/input.h */
export const BUS_USB = 0x03;
const EIO = 5;

/**
 * Vendor-defined (usage page 0xFF00) application collection with one 64-byte input and one 64-byte output
 * report and no report ids: the shape the Contour USB and FreeStyle protocols use (64-byte reports written
 * after report number 0; drivers/codecs/contour-hid-report.ts, freestyle-hid-report.ts). Item encodings: HID
 * 1.11 §6.2.2 (short items: tag, type, size).
 */
// prettier-ignore
export const METER_REPORT_DESCRIPTOR = Uint8Array.of(
  0x06, 0x00, 0xff, // Usage Page (Vendor Defined 0xFF00)
  0x09, 0x01, //       Usage (0x01)
  0xa1, 0x01, //       Collection (Application)
  0x15, 0x00, //         Logical Minimum (0)
  0x26, 0xff, 0x00, //   Logical Maximum (255)
  0x75, 0x08, //         Report Size (8)
  0x95, 0x40, //         Report Count (64)
  0x09, 0x01, //         Usage (0x01)
  0x81, 0x02, //         Input (Data, Variable, Absolute)
  0x09, 0x01, //         Usage (0x01)
  0x91, 0x02, //         Output (Data, Variable, Absolute)
  0xc0, //             End Collection
);

export interface UhidCreateRequest {
  /** Device name (hidapi's product string for a uhid device); at most 127 bytes. */
  name: string;
  /** Physical path; at most 63 bytes. */
  phys?: string;
  /** Unique id: hidapi's serial number; at most 63 bytes. */
  uniq?: string;
  bus?: number;
  vendor: number;
  product: number;
  version?: number;
  country?: number;
  descriptor: Uint8Array;
}

export type UhidEvent =
  | { type: 'start'; devFlags: number }
  | { type: 'stop' | 'open' | 'close' }
  | { type: 'output'; data: Uint8Array; rtype: number }
  | { type: 'get-report'; id: number; rnum: number; rtype: number }
  | { type: 'set-report'; id: number; rnum: number; rtype: number; data: Uint8Array }
  | { type: 'other'; code: number };

function event(type: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(UHID_EVENT_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  return { bytes, view };
}

function putString(bytes: Uint8Array, at: number, size: number, s: string, what: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > size - 1) throw new RangeError(`uhid ${what} is ${b.length} bytes, at most ${size - 1}`);
  bytes.set(b, at); // NUL-terminated: the rest stays 0
}

/** UHID_CREATE2: name @4 [128], phys @132 [64], uniq @196 [64], rd_size @260, bus @262, vendor @264,
 *  product @268, version @272, country @276, rd_data @280 [4096]; integers little-endian (host order). */
export function encodeCreate2(req: UhidCreateRequest): Uint8Array {
  const n = req.descriptor.length;
  if (n < 1 || n > HID_MAX_DESCRIPTOR_SIZE) {
    throw new RangeError(`report descriptor of ${n} bytes (1..${HID_MAX_DESCRIPTOR_SIZE})`);
  }
  const { bytes, view } = event(UHID.CREATE2);
  putString(bytes, 4, 128, req.name, 'name');
  putString(bytes, 132, 64, req.phys ?? '', 'phys');
  putString(bytes, 196, 64, req.uniq ?? '', 'uniq');
  view.setUint16(260, n, true);
  view.setUint16(262, req.bus ?? BUS_USB, true);
  view.setUint32(264, req.vendor, true);
  view.setUint32(268, req.product, true);
  view.setUint32(272, req.version ?? 0, true);
  view.setUint32(276, req.country ?? 0, true);
  bytes.set(req.descriptor, 280);
  return bytes;
}

/** UHID_INPUT2: size @4 (u16), data @6 [4096]. */
export function encodeInput2(report: Uint8Array): Uint8Array {
  if (report.length > UHID_DATA_MAX) throw new RangeError(`input report of ${report.length} bytes`);
  const { bytes, view } = event(UHID.INPUT2);
  view.setUint16(4, report.length, true);
  bytes.set(report, 6);
  return bytes;
}

export function encodeDestroy(): Uint8Array {
  return event(UHID.DESTROY).bytes;
}

/** UHID_GET_REPORT_REPLY: id @4 (u32), err @8 (u16), size @10 (u16), data @12. */
export function encodeGetReportReply(id: number, err: number, data = new Uint8Array(0)): Uint8Array {
  const { bytes, view } = event(UHID.GET_REPORT_REPLY);
  view.setUint32(4, id, true);
  view.setUint16(8, err, true);
  view.setUint16(10, data.length, true);
  bytes.set(data, 12);
  return bytes;
}

/** UHID_SET_REPORT_REPLY: id @4 (u32), err @8 (u16). */
export function encodeSetReportReply(id: number, err: number): Uint8Array {
  const { bytes, view } = event(UHID.SET_REPORT_REPLY);
  view.setUint32(4, id, true);
  view.setUint16(8, err, true);
  return bytes;
}

/** One event the kernel wrote; a short one is read as if zero-extended (uhid.h: user space extends it). */
export function decodeUhidEvent(raw: Uint8Array): UhidEvent {
  if (raw.length < 4) throw new RangeError(`uhid event of ${raw.length} bytes, at least 4`);
  const bytes = new Uint8Array(UHID_EVENT_SIZE);
  bytes.set(raw.subarray(0, UHID_EVENT_SIZE));
  const view = new DataView(bytes.buffer);
  const code = view.getUint32(0, true);
  const clamp = (n: number): number => Math.min(n, UHID_DATA_MAX);
  switch (code) {
    case UHID.START: // dev_flags @4 (u64): only the low bits are defined
      return { type: 'start', devFlags: view.getUint32(4, true) };
    case UHID.STOP:
      return { type: 'stop' };
    case UHID.OPEN:
      return { type: 'open' };
    case UHID.CLOSE:
      return { type: 'close' };
    case UHID.OUTPUT: // data @4 [4096], size @4100 (u16), rtype @4102 (u8)
      return {
        type: 'output',
        data: bytes.slice(4, 4 + clamp(view.getUint16(4100, true))),
        rtype: bytes[4102],
      };
    case UHID.GET_REPORT: // id @4 (u32), rnum @8, rtype @9
      return { type: 'get-report', id: view.getUint32(4, true), rnum: bytes[8], rtype: bytes[9] };
    case UHID.SET_REPORT: // id @4, rnum @8, rtype @9, size @10 (u16), data @12
      return {
        type: 'set-report',
        id: view.getUint32(4, true),
        rnum: bytes[8],
        rtype: bytes[9],
        data: bytes.slice(12, 12 + clamp(view.getUint16(10, true))),
      };
    default:
      return { type: 'other', code };
  }
}

/**
 * The report the host sent, as the meter receives it: a device without numbered output reports gets no leading
 * report number 0 (as usbhid_output_report drops it before the interrupt transfer), zero-padded to the size.
 */
export function hostReport(data: Uint8Array, numbered: boolean, reportSize = 64): Uint8Array {
  const body = !numbered && data.length > 0 && data[0] === 0 ? data.subarray(1) : data;
  if (body.length >= reportSize) return body.slice(0, reportSize);
  const out = new Uint8Array(reportSize);
  out.set(body);
  return out;
}

export type UhidAvailability = { available: true } | { available: false; reason: string };

/** Whether this process can create kernel HID devices (the uhid module loaded, its node read- and writable). */
export function uhidAvailability(path = '/dev/uhid'): UhidAvailability {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { available: false, reason: `${path}: ${code === 'ENOENT' ? 'no such device node' : code}` };
  }
  if (!st.isCharacterDevice()) return { available: false, reason: `${path} is not a character device` };
  try {
    fs.accessSync(path, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { available: false, reason: `${path} is not readable and writable by uid ${process.getuid?.()}` };
  }
  return { available: true };
}

/** What the device needs of the opened /dev/uhid (a FileHandle; tests hand in a stand-in kernel). */
export interface UhidFile {
  read(buf: Buffer, offset: number, length: number, position: null): Promise<{ bytesRead: number }>;
  write(buf: Uint8Array, offset: number, length: number, position: null): Promise<unknown>;
  close(): Promise<void>;
}

export interface UhidMeterOptions extends Omit<UhidCreateRequest, 'descriptor' | 'bus'> {
  model: HidMeterModel;
  descriptor?: Uint8Array;
  /** Default /dev/uhid. */
  path?: string;
  /** Default fs.promises.open. */
  open?: (path: string, flags: number) => Promise<UhidFile>;
  /** Wait between reads while the kernel has no event queued (ms, default 2). */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A simulated meter plugged in as a kernel HID device for as long as this object lives. */
export class UhidMeterDevice {
  /** Kernel events in arrival order (outputs included), for assertions and diagnostics. */
  readonly events: UhidEvent['type'][] = [];
  /** Every report the host wrote, as the meter received it. */
  readonly outputs: Uint8Array[] = [];
  /** Errors of the read loop, of writes and of the model; none is expected. */
  readonly errors: Error[] = [];
  private numbered = false;
  private stopping = false;
  private writes: Promise<void> = Promise.resolve();
  private loopDone: Promise<void> = Promise.resolve();
  private destroyed: Promise<void> | null = null;
  private onStart: (() => void) | null = null;
  private readonly startedP: Promise<void>;

  private readonly fh: UhidFile;
  private readonly opts: UhidMeterOptions;

  private constructor(fh: UhidFile, opts: UhidMeterOptions) {
    this.fh = fh;
    this.opts = opts;
    this.startedP = new Promise((resolve) => (this.onStart = resolve));
  }

  /** Opens /dev/uhid, creates the device (UHID_CREATE2) and starts answering the kernel. */
  static async create(opts: UhidMeterOptions): Promise<UhidMeterDevice> {
    const create = encodeCreate2({
      ...opts,
      bus: BUS_USB,
      descriptor: opts.descriptor ?? METER_REPORT_DESCRIPTOR,
    });
    const { O_RDWR, O_NONBLOCK } = fs.constants;
    const open = opts.open ?? ((p: string, flags: number) => fs.promises.open(p, flags));
    const fh = await open(opts.path ?? '/dev/uhid', O_RDWR | O_NONBLOCK);
    const dev = new UhidMeterDevice(fh, opts);
    try {
      await fh.write(create, 0, create.length, null);
    } catch (err) {
      await fh.close();
      throw err;
    }
    dev.loopDone = dev.loop();
    return dev;
  }

  /** Resolves once the kernel started the device (a HID driver bound it); false after `timeoutMs`. */
  async started(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const r = await Promise.race([this.startedP.then(() => true), late]);
    clearTimeout(timer);
    return r;
  }

  private write(bytes: Uint8Array): void {
    this.writes = this.writes
      .then(() => this.fh.write(bytes, 0, bytes.length, null))
      .then(
        () => undefined,
        (err: Error) => void this.errors.push(err),
      );
  }

  private readonly io = {
    send: (report: Uint8Array): void => {
      if (!this.stopping) this.write(encodeInput2(report));
    },
    unplug: (): void => void this.destroy(),
  };

  private handle(ev: UhidEvent): void {
    this.events.push(ev.type);
    if (ev.type === 'start') {
      this.numbered = (ev.devFlags & UHID_DEV_NUMBERED_OUTPUT_REPORTS) !== 0;
      this.onStart?.();
    } else if (ev.type === 'output' && ev.rtype === UHID_OUTPUT_REPORT) {
      const report = hostReport(ev.data, this.numbered);
      this.outputs.push(report);
      try {
        this.opts.model.output(report, this.io);
      } catch (err) {
        this.errors.push(err as Error);
      }
    } else if (ev.type === 'get-report') {
      this.write(encodeGetReportReply(ev.id, EIO)); // the meters have no feature reports
    } else if (ev.type === 'set-report') {
      this.write(encodeSetReportReply(ev.id, EIO));
    }
  }

  private async loop(): Promise<void> {
    const buf = Buffer.alloc(UHID_EVENT_SIZE);
    while (!this.stopping) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.fh.read(buf, 0, buf.length, null));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          await sleep(this.opts.pollMs ?? 2);
          continue;
        }
        if (!this.stopping) this.errors.push(err as Error);
        return;
      }
      if (n >= 4) this.handle(decodeUhidEvent(buf.subarray(0, n)));
      else await sleep(this.opts.pollMs ?? 2);
    }
  }

  /** Unplugs the device (UHID_DESTROY), ends the read loop and closes /dev/uhid; safe to call twice. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.stopping = true;
      await this.loopDone;
      await this.writes;
      const bytes = encodeDestroy();
      await this.fh.write(bytes, 0, bytes.length, null).catch(() => undefined); // EINVAL: already gone
      await this.fh.close();
    })();
    return this.destroyed;
  }
}
