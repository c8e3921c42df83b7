// The real sg_raw subprocess transport against the simulated Verio, through a stand-in with sg_raw's
// arguments and exit status (firmware-bridge/meters/sg-raw-stub.mjs): argument building, data-out on stdin,
// data-in from the file, errors and unplug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inquiryCdb, inquiryVendor } from '../../../drivers/codecs/scsi-cdb.ts';
import { openSgRawLink, sgRawArgs } from '../../../drivers/usb/sg-raw-link.ts';
import { dumpUsbMeter } from '../../../drivers/usb/run-usb-dump.ts';
import { UsbUnavailableError } from '../../../drivers/usb/node-hid-link.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { SG_RAW_STUB, serveScsiMeter } from '../../../firmware-bridge/meters/sg-raw-server.ts';
import { VerioMeter } from '../../../firmware-bridge/meters/verio-meter.ts';
import type { UsbScenario } from '../../../firmware-bridge/meters/usb-scenario.ts';
import { FAST, storeRig } from './usb-harness.ts';

const scenario: UsbScenario = {
  serial: 'VERIO-42',
  clock: '2024-05-01T12:00:00',
  records: [
    { time: '2024-04-29T08:00:00', value: 101 },
    { time: '2024-04-30T08:00:00', value: 177 },
  ],
};

test('sg_raw arguments: timeout, data-out length, data-in length and file, device, CDB bytes in hex', () => {
  assert.deepEqual(
    sgRawArgs(
      '/dev/sg2',
      { cdb: Uint8Array.of(0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0), dataInLength: 512, timeoutMs: 2500 },
      '/tmp/x',
    ),
    [
      '-t',
      '3',
      '-r',
      '512',
      '-o',
      '/tmp/x',
      '/dev/sg2',
      '28',
      '00',
      '00',
      '00',
      '00',
      '03',
      '00',
      '00',
      '01',
      '00',
    ],
  );
  assert.deepEqual(
    sgRawArgs(
      '/dev/sdb',
      { cdb: Uint8Array.of(0x2a, 0, 0, 0, 0, 3, 0, 0, 1, 0), dataOut: new Uint8Array(512), timeoutMs: 100 },
      null,
    ),
    ['-t', '1', '-s', '512', '/dev/sdb', '2a', '00', '00', '00', '00', '03', '00', '00', '01', '00'],
  );
});

test('a Verio dump through the sg_raw process transport stores every record once', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-raw-'));
  const server = await serveScsiMeter(new VerioMeter(scenario), path.join(dir, 'sg0'));
  t.after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const { store, port } = storeRig(t);
  const openLink = async () =>
    openSgRawLink({ path: server.path, command: process.execPath, prefixArgs: [SG_RAW_STUB] });
  const device = { protocol: 'verio-scsi' as const, path: server.path };
  const r = await dumpUsbMeter({ device, port, timeZone: 'Europe/Berlin', session: FAST, openLink });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.stored, 2);
  // INQUIRY + (5 config + 2 record) × (WRITE + READ)
  assert.equal(server.commands, 1 + 7 * 2);
  assert.deepEqual(
    listReadings(store, 'usb:verio-scsi:VERIO-42').map((x) => x.value),
    [101, 177],
  );
});

test('sg_raw transport: a gone device is ERR_PORT_CLOSED, a CHECK CONDITION is ERR_PROTOCOL, no sg_raw says so', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-raw-'));
  const server = await serveScsiMeter(new VerioMeter(scenario), path.join(dir, 'sg0'));
  t.after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const link = openSgRawLink({ path: server.path, command: process.execPath, prefixArgs: [SG_RAW_STUB] });
  const data = await link.execute({ cdb: inquiryCdb(), dataInLength: 36, timeoutMs: 1000 });
  assert.equal(inquiryVendor(data), 'LifeScan');
  await assert.rejects(
    link.execute({ cdb: Uint8Array.of(0x28, 0, 0, 0, 0, 9, 0, 0, 1, 0), dataInLength: 512, timeoutMs: 1000 }),
    {
      code: 'ERR_PROTOCOL',
    },
  );
  const gone = openSgRawLink({
    path: path.join(dir, 'missing'),
    command: process.execPath,
    prefixArgs: [SG_RAW_STUB],
  });
  await assert.rejects(gone.execute({ cdb: inquiryCdb(), dataInLength: 36, timeoutMs: 1000 }), {
    code: 'ERR_PORT_CLOSED',
  });
  const none = openSgRawLink({ path: server.path, command: path.join(dir, 'no-such-sg_raw') });
  await assert.rejects(
    none.execute({ cdb: inquiryCdb(), dataInLength: 36, timeoutMs: 1000 }),
    (e) => e instanceof UsbUnavailableError && /sg3-utils/.test(e.message),
  );
  await Promise.all([link.close(), gone.close(), none.close()]);
});
