// The HID simulators as kernel HID devices (firmware-bridge/meters/uhid-device.ts). The UHID event bytes are
// checked at the offsets of include/uapi/linux/uhid.h (torvalds/linux; packed struct uhid_event = __u32 type +
// union; sizeof 4380, checked with offsetof() against linux-libc-dev 6.1), so a layout mistake fails here even
// without the kernel; a stand-in kernel written from the same header then carries a whole dump. Where the
// machine offers /dev/uhid, the last test plugs the simulated meters in as real kernel HID devices and reads
// them with the real USB driver and node-hid; where it does not, that test says so and is skipped.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dumpUsbMeter } from '../../../drivers/usb/run-usb-dump.ts';
import { findUsbMeters } from '../../../drivers/usb/usb-discovery.ts';
import { listHidDevices, nodeHid, type HidDeviceEntry } from '../../../drivers/usb/node-hid-link.ts';
import type { HidLink } from '../../../drivers/usb/usb-link.ts';
import { MeterError } from '../../../drivers/serial/meter-error.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { ContourUsbMeter } from '../../../firmware-bridge/meters/contour-usb-meter.ts';
import { FreeStyleMeter } from '../../../firmware-bridge/meters/freestyle-meter.ts';
import type { UsbScenario } from '../../../firmware-bridge/meters/usb-scenario.ts';
import {
  METER_REPORT_DESCRIPTOR,
  UhidMeterDevice,
  decodeUhidEvent,
  encodeCreate2,
  encodeDestroy,
  encodeGetReportReply,
  encodeInput2,
  encodeSetReportReply,
  hostReport,
  uhidAvailability,
  type UhidFile,
} from '../../../firmware-bridge/meters/uhid-device.ts';
import { FAST, storeRig } from './usb-harness.ts';

const SIZE = 4380; // sizeof(struct uhid_event)
const u16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number): number => (u16(b, at) | (u16(b, at + 2) << 16)) >>> 0;
const cstr = (b: Uint8Array, at: number, size: number): string => {
  const f = b.subarray(at, at + size);
  return Buffer.from(f.subarray(0, f.indexOf(0))).toString('utf8');
};

/** An event as the kernel writes it, built from uhid.h offsets here, independently of the module. */
function kernelEvent(
  type: number,
  fields: Array<[number, number, 1 | 2 | 4]> = [],
  data?: [number, Uint8Array],
) {
  const b = new Uint8Array(SIZE);
  const put = (at: number, v: number, n: number): void => {
    for (let i = 0; i < n; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
  };
  put(0, type, 4);
  for (const [at, v, n] of fields) put(at, v, n);
  if (data) b.set(data[1], data[0]);
  return b;
}
// UHID_OUTPUT: data @4 [4096], size @4100 (u16), rtype @4102 (UHID_OUTPUT_REPORT = 1)
const kOutput = (data: Uint8Array, rtype = 1) =>
  kernelEvent(
    6,
    [
      [4100, data.length, 2],
      [4102, rtype, 1],
    ],
    [4, data],
  );
// UHID_START: dev_flags @4 (u64)
const kStart = (flags = 0) => kernelEvent(2, [[4, flags, 4]]);

test('UHID_CREATE2: type 11, name/phys/uniq, rd_size, bus, ids and descriptor at the uhid.h offsets', () => {
  const b = encodeCreate2({
    name: 'Sim Contour',
    phys: 'sim/phys',
    uniq: 'SER-1',
    vendor: 0x1a79,
    product: 0x7410,
    version: 0x0102,
    country: 7,
    descriptor: METER_REPORT_DESCRIPTOR,
  });
  assert.equal(b.length, SIZE);
  assert.deepEqual([...b.subarray(0, 4)], [11, 0, 0, 0]);
  assert.equal(cstr(b, 4, 128), 'Sim Contour'); // name[128] @4
  assert.equal(cstr(b, 132, 64), 'sim/phys'); // phys[64] @132
  assert.equal(cstr(b, 196, 64), 'SER-1'); // uniq[64] @196
  assert.equal(u16(b, 260), METER_REPORT_DESCRIPTOR.length); // rd_size @260
  assert.equal(u16(b, 262), 3); // bus @262: BUS_USB
  assert.deepEqual([...b.subarray(264, 268)], [0x79, 0x1a, 0, 0]); // vendor @264, little-endian
  assert.deepEqual([...b.subarray(268, 272)], [0x10, 0x74, 0, 0]); // product @268
  assert.equal(u32(b, 272), 0x0102); // version @272
  assert.equal(u32(b, 276), 7); // country @276
  assert.deepEqual(b.subarray(280, 280 + METER_REPORT_DESCRIPTOR.length), METER_REPORT_DESCRIPTOR); // rd_data @280
  assert.ok(b.subarray(280 + METER_REPORT_DESCRIPTOR.length).every((x) => x === 0));
  assert.throws(
    () =>
      encodeCreate2({ name: 'x'.repeat(128), vendor: 1, product: 1, descriptor: METER_REPORT_DESCRIPTOR }),
    RangeError,
  );
  assert.throws(
    () => encodeCreate2({ name: 'x', vendor: 1, product: 1, descriptor: new Uint8Array(0) }),
    RangeError,
  );
});

test('UHID_INPUT2, UHID_DESTROY and the GET/SET_REPORT replies at the uhid.h offsets', () => {
  const report = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
  const i2 = encodeInput2(report);
  assert.equal(i2.length, SIZE);
  assert.deepEqual([...i2.subarray(0, 6)], [12, 0, 0, 0, 64, 0]); // type, size @4 (u16)
  assert.deepEqual(i2.subarray(6, 70), report); // data @6
  assert.equal(i2[70], 0);
  const d = encodeDestroy();
  assert.equal(d.length, SIZE);
  assert.deepEqual([...d.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 0]);
  const g = encodeGetReportReply(0x01020304, 5);
  assert.deepEqual([...g.subarray(0, 12)], [10, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0]); // id @4, err @8, size @10
  const s = encodeSetReportReply(9, 5);
  assert.deepEqual([...s.subarray(0, 10)], [14, 0, 0, 0, 9, 0, 0, 0, 5, 0]); // id @4, err @8
});

test('kernel events decode: OUTPUT, START flags, OPEN/CLOSE/STOP, GET_REPORT, SET_REPORT; short ones zero-extended', () => {
  const data = Uint8Array.of(0, 0x41, 0x42, 0x43, 1, 4);
  assert.deepEqual(decodeUhidEvent(kOutput(data)), { type: 'output', data, rtype: 1 });
  assert.deepEqual(decodeUhidEvent(kStart(2)), { type: 'start', devFlags: 2 });
  assert.deepEqual(decodeUhidEvent(Uint8Array.of(4, 0, 0, 0)), { type: 'open' }); // 4 bytes: read as extended
  assert.deepEqual(decodeUhidEvent(kernelEvent(5)), { type: 'close' });
  assert.deepEqual(decodeUhidEvent(kernelEvent(3)), { type: 'stop' });
  // UHID_GET_REPORT: id @4 (u32), rnum @8, rtype @9
  assert.deepEqual(
    decodeUhidEvent(
      kernelEvent(9, [
        [4, 77, 4],
        [8, 3, 1],
        [9, 0, 1],
      ]),
    ),
    {
      type: 'get-report',
      id: 77,
      rnum: 3,
      rtype: 0,
    },
  );
  // UHID_SET_REPORT: id @4, rnum @8, rtype @9, size @10 (u16), data @12
  assert.deepEqual(
    decodeUhidEvent(
      kernelEvent(
        13,
        [
          [4, 8, 4],
          [8, 1, 1],
          [9, 1, 1],
          [10, 2, 2],
        ],
        [12, Uint8Array.of(9, 9)],
      ),
    ),
    {
      type: 'set-report',
      id: 8,
      rnum: 1,
      rtype: 1,
      data: Uint8Array.of(9, 9),
    },
  );
  assert.deepEqual(decodeUhidEvent(kernelEvent(42)), { type: 'other', code: 42 });
  assert.throws(() => decodeUhidEvent(Uint8Array.of(6, 0)), RangeError);
});

test("hidraw's report number 0 is not part of the meter's report; numbered devices keep it", () => {
  const r = Uint8Array.from({ length: 64 }, (_, i) => 0x80 + (i & 0x3f));
  assert.deepEqual(hostReport(Uint8Array.of(0, ...r), false), r);
  assert.deepEqual(hostReport(Uint8Array.of(0, 1, 2), false), Uint8Array.of(1, 2, ...new Uint8Array(62)));
  assert.deepEqual(
    hostReport(Uint8Array.of(5, ...r.subarray(0, 63)), true),
    Uint8Array.of(5, ...r.subarray(0, 63)),
  );
});

test('the meter report descriptor: vendor page 0xFF00, 64 × 8-bit input and output, no report id', () => {
  // walk the short items (HID 1.11 §6.2.2.2): prefix = tag(4) type(2) size(2), size 3 means 4 bytes
  const items: Array<[number, number]> = [];
  for (let i = 0; i < METER_REPORT_DESCRIPTOR.length;) {
    const p = METER_REPORT_DESCRIPTOR[i];
    const n = [0, 1, 2, 4][p & 3];
    let v = 0;
    for (let k = 0; k < n; k++) v |= METER_REPORT_DESCRIPTOR[i + 1 + k] << (8 * k);
    items.push([p & 0xfc, v]);
    i += 1 + n;
  }
  const value = (tag: number) => items.find(([t]) => t === tag)?.[1];
  assert.equal(value(0x04), 0xff00); // Usage Page
  assert.equal(value(0x74), 8); // Report Size
  assert.equal(value(0x94), 64); // Report Count
  assert.equal(value(0x84), undefined, 'no Report ID item');
  assert.deepEqual(
    items.filter(([t]) => [0x80, 0x90, 0xa0, 0xc0].includes(t)).map(([t]) => t),
    [0xa0, 0x80, 0x90, 0xc0], // Collection, Input, Output, End Collection
  );
});

test('uhidAvailability says why a node cannot be used', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uhid-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = uhidAvailability(path.join(dir, 'uhid'));
  assert.equal(missing.available, false);
  assert.match(missing.available ? '' : missing.reason, /no such device node/);
  fs.writeFileSync(path.join(dir, 'file'), '');
  const plain = uhidAvailability(path.join(dir, 'file'));
  assert.match(plain.available ? '' : plain.reason, /not a character device/);
});

/** A stand-in for /dev/uhid plus the hidraw node the kernel would make, written from uhid.h and hidraw.c. */
class StandInKernel implements UhidFile {
  readonly fromDevice: Uint8Array[] = [];
  private readonly toDevice: Uint8Array[] = [];
  private readonly hidraw: Uint8Array[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  queue(ev: Uint8Array): void {
    this.toDevice.push(ev);
  }
  async read(buf: Buffer, offset: number, length: number): Promise<{ bytesRead: number }> {
    if (this.closed) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
    const ev = this.toDevice.shift();
    if (!ev) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
    buf.set(ev.subarray(0, length), offset);
    return { bytesRead: Math.min(length, ev.length) };
  }
  async write(buf: Uint8Array, offset: number, length: number): Promise<unknown> {
    assert.equal(length, SIZE, 'every write is one whole struct uhid_event');
    const ev = buf.slice(offset, offset + length);
    this.fromDevice.push(ev);
    if (u32(ev, 0) === 12) {
      this.hidraw.push(ev.slice(6, 6 + u16(ev, 4))); // INPUT2 → the hidraw reader
      this.wake?.();
    }
    return { bytesWritten: length };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  /** The host side, as hidapi uses hidraw: writes carry report number 0 first. */
  link(): HidLink {
    return {
      kind: 'hid',
      write: async (report) => this.queue(kOutput(Uint8Array.of(0, ...report))),
      read: async (timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        while (this.hidraw.length === 0 && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, Math.max(1, deadline - Date.now()));
          });
        }
        const r = this.hidraw.shift();
        if (!r) throw new MeterError('ERR_TIMEOUT', `no report within ${timeoutMs} ms`);
        return r;
      },
      close: async () => undefined,
    };
  }
}

const scenario = (serial: string): UsbScenario => ({
  serial,
  clock: '2024-05-01T12:00:00',
  records: [
    { time: '2024-04-30T07:10:00', value: 112 },
    { time: '2024-04-30T12:30:00', value: 98, control: true },
    { time: '2024-04-30T19:45:00', value: 154 },
  ],
});
const expected = [
  ['2024-04-30T07:10:00.000Z', 112, false],
  ['2024-04-30T12:30:00.000Z', 98, true],
  ['2024-04-30T19:45:00.000Z', 154, false],
];
const meters = {
  contour: {
    protocol: 'contour-usb',
    vendor: 0x1a79,
    product: 0x7410,
    make: (s: UsbScenario) => new ContourUsbMeter(s),
  },
  freestyle: {
    protocol: 'freestyle-hid',
    vendor: 0x1a61,
    product: 0x3850,
    make: (s: UsbScenario) => new FreeStyleMeter(s),
  },
} as const;

for (const kind of ['contour', 'freestyle'] as const) {
  test(`${kind} through a stand-in kernel: CREATE2 first, a whole dump, GET_REPORT refused, DESTROY last`, async (t) => {
    const m = meters[kind];
    const k = new StandInKernel();
    const opened: Array<[string, number]> = [];
    const dev = await UhidMeterDevice.create({
      model: m.make(scenario('STANDIN-1')),
      name: `Sim ${kind}`,
      uniq: 'STANDIN-1',
      vendor: m.vendor,
      product: m.product,
      path: '/dev/uhid-test',
      open: async (p, flags) => (opened.push([p, flags]), k),
    });
    t.after(() => dev.destroy());
    assert.deepEqual(opened, [['/dev/uhid-test', fs.constants.O_RDWR | fs.constants.O_NONBLOCK]]);
    assert.equal(u32(k.fromDevice[0], 0), 11);
    assert.deepEqual([u32(k.fromDevice[0], 264), u32(k.fromDevice[0], 268)], [m.vendor, m.product]);
    k.queue(kStart());
    k.queue(kernelEvent(4)); // UHID_OPEN
    k.queue(
      kernelEvent(9, [
        [4, 31, 4],
        [8, 1, 1],
        [9, 0, 1],
      ]),
    ); // UHID_GET_REPORT id 31
    assert.equal(await dev.started(1000), true);
    const { store, port } = storeRig(t);
    const r = await dumpUsbMeter({
      device: { protocol: m.protocol, path: '/dev/hidraw-test', vendorId: m.vendor, productId: m.product },
      port,
      timeZone: 'UTC',
      session: FAST,
      openLink: async () => k.link(),
    });
    assert.equal(r.error, undefined, r.error?.message);
    const rows = listReadings(store, `usb:${m.protocol}:STANDIN-1`);
    assert.deepEqual(
      rows.map((x) => [x.effectiveAt, x.value, x.controlSolution]),
      expected,
    );
    // the meter saw 64-byte reports without hidraw's report number: "ABC" + length, or INIT (type 1)
    assert.ok(dev.outputs.length > 3 && dev.outputs.every((o) => o.length === 64));
    assert.equal(dev.outputs[0][0], kind === 'contour' ? 0x41 : 0x01);
    const reply = k.fromDevice.find((e) => u32(e, 0) === 10);
    assert.deepEqual([u32(reply!, 4), u16(reply!, 8)], [31, 5], 'GET_REPORT 31 answered with EIO');
    assert.deepEqual(dev.errors, []);
    assert.deepEqual(dev.events.slice(0, 3), ['start', 'open', 'get-report']);
    await dev.destroy();
    await dev.destroy();
    assert.equal(u32(k.fromDevice.at(-1)!, 0), 1, 'DESTROY is the last event written');
    assert.equal(k.fromDevice.filter((e) => u32(e, 0) === 1).length, 1);
    assert.equal(k.closed, true);
  });
}

test('through a stand-in kernel: numbered output reports keep their number; the model unplugging destroys', async (t) => {
  const k = new StandInKernel();
  const seen: Uint8Array[] = [];
  const dev = await UhidMeterDevice.create({
    model: { output: (r, io) => (seen.push(r), io.unplug()) },
    name: 'x',
    vendor: 1,
    product: 2,
    open: async () => k,
  });
  t.after(() => dev.destroy());
  k.queue(kStart(2)); // UHID_DEV_NUMBERED_OUTPUT_REPORTS
  k.queue(kOutput(Uint8Array.of(5, 1, 2, 3)));
  for (let i = 0; i < 200 && !k.closed; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen[0].subarray(0, 4), Uint8Array.of(5, 1, 2, 3));
  assert.equal(k.closed, true);
  assert.equal(u32(k.fromDevice.at(-1)!, 0), 1);
});

const waitFor = async <T>(f: () => T | undefined | false, ms: number): Promise<T | undefined> => {
  for (const end = Date.now() + ms; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) return undefined;
  }
};

/** Our device in /sys/bus/hid (matched by HID_UNIQ): absent (the kernel refused it), unbound, or bound. */
function sysfsHid(uniq: string): 'absent' | 'unbound' | 'bound' {
  const root = '/sys/bus/hid/devices';
  for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    let uevent: string;
    try {
      uevent = fs.readFileSync(path.join(root, name, 'uevent'), 'utf8');
    } catch {
      continue;
    }
    if (uevent.split('\n').includes(`HID_UNIQ=${uniq}`))
      return fs.existsSync(path.join(root, name, 'driver')) ? 'bound' : 'unbound';
  }
  return 'absent';
}

function skipping(t: TestContext, why: string): void {
  const line = `${why}: the kernel-HID path of node-hid is not exercised`;
  t.diagnostic(line);
  console.log(line);
  t.skip(line);
}

async function kernelDump(t: TestContext, kind: keyof typeof meters): Promise<void> {
  const m = meters[kind];
  const uniq = `UHID-${kind.toUpperCase()}-${process.pid}`;
  const dev = await UhidMeterDevice.create({
    model: m.make(scenario(uniq)),
    name: `hddt-gateway simulated ${kind} meter`,
    phys: 'hddt-gateway/uhid',
    uniq,
    vendor: m.vendor,
    product: m.product,
  });
  t.after(() => dev.destroy());
  if (!(await dev.started(5000))) {
    // in sysfs but with no driver: the kernel took the device (descriptor parsed), nothing bound it
    if (sysfsHid(uniq) === 'unbound')
      return skipping(t, 'no HID driver bound the device (hid-generic not loaded?)');
    assert.fail(
      `the kernel did not start the device (${sysfsHid(uniq)} in /sys/bus/hid; events: ${dev.events})`,
    );
  }
  const mine = (d: HidDeviceEntry): boolean =>
    d.vendorId === m.vendor && d.productId === m.product && d.serialNumber === uniq;
  const listed = await waitFor(() => listHidDevices().find(mine), 5000);
  if (!listed && !fs.existsSync('/sys/class/hidraw')) return skipping(t, 'this kernel has no hidraw');
  assert.ok(listed, `node-hid did not list ${uniq} within 5 s`);
  if (!(await waitFor(() => fs.existsSync(listed.path), 5000)))
    return skipping(t, `${listed.path} is missing from this machine's /dev`);
  try {
    fs.accessSync(listed.path, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return skipping(t, `${listed.path} is not readable and writable by uid ${process.getuid?.()}`);
  }
  // as `dump --usb PATH` does: the meter the bus lists at that path, read through node-hid (no openLink)
  const device = findUsbMeters(listHidDevices, () => []).find((d) => d.path === listed.path);
  assert.equal(device?.protocol, m.protocol);
  const { store, port } = storeRig(t);
  const r = await dumpUsbMeter({ device: device!, port, timeZone: 'UTC' });
  assert.equal(r.error, undefined, r.error?.message);
  const rows = listReadings(store, `usb:${m.protocol}:${uniq}`);
  assert.deepEqual(
    rows.map((x) => [x.effectiveAt, x.value, x.controlSolution]),
    expected,
  );
  assert.deepEqual(dev.errors, []);
  assert.ok(dev.events.includes('open') && dev.outputs.length > 0);
  await dev.destroy();
  assert.ok(await waitFor(() => !listHidDevices().some(mine), 5000), `${uniq} still listed after DESTROY`);
}

test('node-hid reads the simulated meters as kernel HID devices (/dev/uhid)', async (t) => {
  const uhid = uhidAvailability();
  if (!uhid.available) return skipping(t, `/dev/uhid is not available on this machine (${uhid.reason})`);
  try {
    nodeHid();
  } catch (err) {
    return skipping(t, `node-hid cannot be used here (${(err as Error).message})`);
  }
  for (const kind of ['contour', 'freestyle'] as const) await t.test(kind, (st) => kernelDump(st, kind));
});
