// Full path for each USB protocol: simulated meter → link → session → visit → port → stored readings and
// Observations; re-reads store nothing twice; faults (checksum, garbage report, unplug) end cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpUsbMeter } from '../../../drivers/usb/run-usb-dump.ts';
import type { UsbDeviceRef, UsbLink } from '../../../drivers/usb/usb-link.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { listResources } from '../../../gateway/store/resources.ts';
import { ContourUsbMeter } from '../../../firmware-bridge/meters/contour-usb-meter.ts';
import { FreeStyleMeter } from '../../../firmware-bridge/meters/freestyle-meter.ts';
import { VerioMeter } from '../../../firmware-bridge/meters/verio-meter.ts';
import { SimulatedHidLink, SimulatedScsiLink } from '../../../firmware-bridge/meters/usb-sim-link.ts';
import type { UsbScenario } from '../../../firmware-bridge/meters/usb-scenario.ts';
import { FAST, storeRig } from './usb-harness.ts';

const base: UsbScenario = {
  serial: 'SIM-0001',
  clock: '2024-05-01T12:00:00',
  records: [
    { time: '2024-04-30T07:10:00', value: 112 },
    { time: '2024-04-30T12:30:00', value: 98, control: true },
    { time: '2024-04-30T19:45:00', value: 154 },
  ],
};

type Kind = 'contour' | 'freestyle' | 'verio';
const refs: Record<Kind, UsbDeviceRef> = {
  contour: { protocol: 'contour-usb', path: '/sim/contour', vendorId: 0x1a79, productId: 0x7410 },
  freestyle: { protocol: 'freestyle-hid', path: '/sim/neo', vendorId: 0x1a61, productId: 0x3850 },
  verio: { protocol: 'verio-scsi', path: '/sim/verio', vendorId: 0x2766, productId: 0x0000 },
};

function opener(kind: Kind, s: UsbScenario): () => Promise<UsbLink> {
  return async () =>
    kind === 'contour'
      ? new SimulatedHidLink(new ContourUsbMeter(s))
      : kind === 'freestyle'
        ? new SimulatedHidLink(new FreeStyleMeter(s))
        : new SimulatedScsiLink(new VerioMeter(s));
}

const dump = (kind: Kind, s: UsbScenario, port: Parameters<typeof dumpUsbMeter>[0]['port']) =>
  dumpUsbMeter({
    device: refs[kind],
    port,
    timeZone: 'Europe/Berlin',
    session: FAST,
    openLink: opener(kind, s),
  });

const observations = (store: Parameters<typeof listResources>[0]) =>
  listResources(store, 'Observation').length;

for (const kind of ['contour', 'freestyle', 'verio'] as const) {
  test(`${kind}: a dump stores every record once, keeps raw bytes and the meter clock; a re-read stores nothing`, async (t) => {
    const { store, port } = storeRig(t);
    const progress: Array<[number, number | undefined]> = [];
    const r = await dumpUsbMeter({
      device: refs[kind],
      port,
      timeZone: 'Europe/Berlin',
      session: FAST,
      openLink: opener(kind, base),
      onProgress: (d, n) => progress.push([d, n]),
    });
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(r.deviceKey, `usb:${refs[kind].protocol}:SIM-0001`);
    assert.equal(r.read, 3);
    assert.equal(r.stored, 3);
    assert.deepEqual(progress.at(-1), [3, 3]);
    const rows = listReadings(store, r.deviceKey!);
    assert.deepEqual(
      rows.map((x) => [x.effectiveAt, x.value]),
      [
        ['2024-04-30T05:10:00.000Z', 112],
        ['2024-04-30T10:30:00.000Z', 98],
        ['2024-04-30T17:45:00.000Z', 154],
      ],
    );
    for (const x of rows) assert.ok(x.raw.length > 0 && x.deviceTime.length > 0);
    // the meter clock 12:00 Berlin (10:00Z) was read at the gateway's real time: the offset is kept
    assert.ok(rows.every((x) => typeof x.clockOffsetMs === 'number'));
    // Verio records carry no known control-solution flag: all three are blood tests there
    const control = kind === 'verio' ? 0 : 1;
    assert.equal(rows.filter((x) => x.controlSolution).length, control);
    assert.equal(observations(store), 3 - control, 'a control test never becomes an Observation');

    const again = await dump(kind, base, port);
    assert.equal(again.error, undefined);
    assert.equal(again.stored, 0);
    assert.equal(again.duplicates, 3);
    assert.equal(listReadings(store, r.deviceKey!).length, 3);
  });

  test(`${kind}: a corrupt checksum and a garbage report are retried; the dump completes`, async (t) => {
    const { store, port } = storeRig(t);
    const s: UsbScenario = {
      ...base,
      faults: [
        { kind: 'bad-checksum', at: 1, times: 2 },
        { kind: 'garbage', at: 2 },
      ],
    };
    const r = await dump(kind, s, port);
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(r.stored, 3);
    assert.equal(listReadings(store, r.deviceKey!).length, 3);
  });

  test(`${kind}: unplugged mid-read, what was complete is stored and nothing partial`, async (t) => {
    const { store, port } = storeRig(t);
    const r = await dump(kind, { ...base, faults: [{ kind: 'unplug', at: 2 }] }, port);
    assert.equal(r.error?.code, 'ERR_PORT_CLOSED', r.error?.message);
    const stored = listReadings(store, `usb:${refs[kind].protocol}:SIM-0001`);
    // Contour and Verio hand records over one by one; a FreeStyle log is one checksummed reply, all or none
    assert.equal(stored.length, kind === 'freestyle' ? 0 : 2);
    assert.equal(r.stored, stored.length);
  });

  test(`${kind}: a fault that outlasts the retries fails cleanly`, async (t) => {
    const { port } = storeRig(t);
    const r = await dump(kind, { ...base, faults: [{ kind: 'bad-checksum', at: 0, times: 50 }] }, port);
    assert.equal(r.error?.code, 'ERR_RETRIES_EXHAUSTED', r.error?.message);
  });
}

test('freestyle: ketone results are counted rejections, never readings', async (t) => {
  const { store, port } = storeRig(t);
  const s: UsbScenario = {
    ...base,
    records: [...base.records, { time: '2024-04-30T20:00:00', value: 0.6, ketone: true }],
  };
  const r = await dump('freestyle', s, port);
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.read, 4);
  assert.equal(r.stored, 3);
  assert.equal(r.rejected.length, 1);
  assert.match(r.rejected[0].reason, /ketone/);
  assert.match(r.rejected[0].identity ?? '', /^9,/);
  assert.equal(listReadings(store, r.deviceKey!).length, 3);
});

test('verio: a disk whose SCSI vendor is not LifeScan is never written to', async (t) => {
  const { port } = storeRig(t);
  const meter = new VerioMeter(base, 'SanDisk');
  let writes = 0;
  const link = new SimulatedScsiLink({
    command: (cdb, out) => {
      if (cdb[0] === 0x2a) writes++;
      return meter.command(cdb, out);
    },
  });
  const r = await dumpUsbMeter({
    device: refs.verio,
    port,
    timeZone: 'UTC',
    session: FAST,
    openLink: async () => link,
  });
  assert.equal(r.error?.code, 'ERR_PROTOCOL');
  assert.match(r.error?.message ?? '', /not LifeScan/);
  assert.equal(writes, 0);
});
