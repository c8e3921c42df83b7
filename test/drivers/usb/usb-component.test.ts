// The `usb` gateway part: hot-plug by polling (a meter that appears is dumped once; one pulled out mid-dump is
// aborted with what was complete stored), and a clear log line when node-hid cannot be used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../../config/load.ts';
import { createLogger } from '../../../gateway/log.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import type { HidDeviceEntry } from '../../../drivers/usb/node-hid-link.ts';
import type { UsbDeviceRef } from '../../../drivers/usb/usb-link.ts';
import { UsbWatcher } from '../../../drivers/usb/usb-watcher.ts';
import type { UsbDumpResult } from '../../../drivers/usb/run-usb-dump.ts';
import { createUsbComponent } from '../../../wiring/usb.ts';
import { ContourUsbMeter } from '../../../firmware-bridge/meters/contour-usb-meter.ts';
import { VerioMeter } from '../../../firmware-bridge/meters/verio-meter.ts';
import { SimulatedHidLink, SimulatedScsiLink } from '../../../firmware-bridge/meters/usb-sim-link.ts';
import type { UsbScenario } from '../../../firmware-bridge/meters/usb-scenario.ts';
import { FAST, storeRig } from './usb-harness.ts';

const scenario: UsbScenario = {
  serial: 'HOTPLUG-1',
  clock: '2024-05-01T12:00:00',
  records: [
    { time: '2024-04-30T07:00:00', value: 111 },
    { time: '2024-04-30T08:00:00', value: 122 },
  ],
};
const contour: HidDeviceEntry = { path: '/dev/hidraw7', vendorId: 0x1a79, productId: 0x7410 };

test('a meter that appears is dumped once; it is not dumped again while it stays plugged in', async (t) => {
  const { store, port } = storeRig(t);
  let present: HidDeviceEntry[] = [];
  const dumps: Array<[UsbDeviceRef, UsbDumpResult]> = [];
  const watcher = new UsbWatcher({
    protocols: ['contour-usb', 'freestyle-hid'],
    listHid: () => present,
    listScsi: () => [{ path: '/dev/sg0', vendor: 'ATA' }],
    port,
    timeZone: 'UTC',
    session: FAST,
    openLink: async () => new SimulatedHidLink(new ContourUsbMeter(scenario)),
    onDump: (d, r) => dumps.push([d, r]),
  });
  t.after(() => watcher.stop());
  watcher.poll();
  assert.equal(dumps.length, 0);
  present = [contour, { path: '/dev/hidraw8', vendorId: 0x046d, productId: 0xc52b }]; // a meter and a mouse
  watcher.poll();
  watcher.poll();
  await watcher.stop();
  assert.equal(dumps.length, 1);
  assert.equal(dumps[0][0].model, 'Contour Next USB');
  assert.equal(dumps[0][1].stored, 2);
  assert.equal(listReadings(store, 'usb:contour-usb:HOTPLUG-1').length, 2);
});

test('pulling a meter out mid-dump aborts that dump; complete records stay stored', async (t) => {
  const { store, port } = storeRig(t);
  let present = [contour];
  const meter = new ContourUsbMeter(scenario);
  const dumps: UsbDumpResult[] = [];
  let outputs = 0;
  const watcher = new UsbWatcher({
    protocols: ['contour-usb'],
    listHid: () => present,
    port,
    timeZone: 'UTC',
    // long waits: the dump is still waiting for the meter when the device disappears
    session: { timeouts: { replyMs: 5000, quietMs: 20 }, retries: 3 },
    // EOT → [EOT H ENQ], ACK → H, ACK → P, ACK → first R; then the meter says nothing more
    openLink: async () =>
      new SimulatedHidLink({ output: (r, io) => void (++outputs <= 4 && meter.output(r, io)) }),
    onDump: (_d, r) => dumps.push(r),
  });
  t.after(() => watcher.stop());
  watcher.poll();
  for (let i = 0; i < 100 && outputs < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  present = [];
  const started = Date.now();
  watcher.poll(); // the device is gone: its signal closes the link
  await watcher.stop();
  assert.ok(Date.now() - started < 2000, 'the abort did not wait for the reply timeout');
  assert.equal(dumps.length, 1);
  assert.equal(dumps[0].error?.code, 'ERR_PORT_CLOSED', dumps[0].error?.message);
  assert.equal(dumps[0].stored, 1);
  assert.deepEqual(
    listReadings(store, 'usb:contour-usb:HOTPLUG-1').map((x) => x.value),
    [111],
  );
});

test('the usb part finds a Verio by its SCSI vendor and dumps it into the store', async (t) => {
  const { store, port } = storeRig(t);
  const config = loadConfig({
    env: {},
    overrides: { usb: { enabled: true, protocols: ['verio-scsi'], pollMs: 100, timezone: 'UTC' } },
  });
  const part = createUsbComponent({
    listScsi: () => [{ path: '/dev/sg3', vendor: 'LifeScan' }],
    openLink: async () => new SimulatedScsiLink(new VerioMeter({ ...scenario, serial: 'VERIO-HP' })),
  });
  const stop = await part.start({ config, store, port, log: createLogger('silent') });
  for (let i = 0; i < 50 && listReadings(store, 'usb:verio-scsi:VERIO-HP').length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stop();
  assert.equal(listReadings(store, 'usb:verio-scsi:VERIO-HP').length, 2);
});

test('the default configuration has the usb part off', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.usb.enabled, false);
  assert.deepEqual(config.usb.protocols, ['contour-usb', 'freestyle-hid', 'verio-scsi']);
});

test('without usable node-hid the part logs why HID meters cannot be read, and keeps running', async (t) => {
  const { store, port } = storeRig(t);
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const config = loadConfig({
    env: {},
    overrides: { usb: { enabled: true, protocols: ['contour-usb'], pollMs: 100 } },
  });
  // Only where node-hid really cannot load (no libusb-1.0, or not installed) does the message appear; where it
  // loads, the part runs with the real device list. Both must start and stop cleanly.
  const stop = await createUsbComponent({ listScsi: () => [] }).start({
    config,
    store,
    port,
    log: createLogger('info', out),
  });
  await stop();
  let loads = true;
  try {
    (await import('../../../drivers/usb/node-hid-link.ts')).nodeHid();
  } catch {
    loads = false;
  }
  assert.equal(/USB HID meters cannot be read/.test(text), !loads, text);
});
