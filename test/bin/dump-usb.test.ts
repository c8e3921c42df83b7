// `hddt-gateway dump --usb`: a Verio behind the real sg_raw transport (a stand-in `sg_raw` first on PATH,
// serving the simulated meter), read once into a store; a re-run stores nothing; bad input exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { SG_RAW_STUB, serveScsiMeter } from '../../firmware-bridge/meters/sg-raw-server.ts';
import { VerioMeter } from '../../firmware-bridge/meters/verio-meter.ts';
import { openStore } from '../../gateway/store/store.ts';
import { listReadings } from '../../gateway/store/readings.ts';
import { pickUsbMeter } from '../../bin/commands/dump-usb.ts';
import { UsageError } from '../../bin/commands/common.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnCli(args, env);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

test('dump --usb PATH --protocol verio-scsi reads the meter once; a second run stores nothing', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'sg_raw'),
    `#!/bin/sh\nexec "${process.execPath}" "${SG_RAW_STUB}" "$@"\n`,
    { mode: 0o755 },
  );
  // records within the historic data period, so the configured retention keeps them
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 19);
  const server = await serveScsiMeter(
    new VerioMeter({
      serial: 'CLI-VERIO',
      clock: day(0),
      records: [
        { time: day(2), value: 140 },
        { time: day(1), value: 95 },
      ],
    }),
    path.join(dir, 'sg9'),
  );
  t.after(() => server.close());
  const db = path.join(dir, 'store.db');
  const env = { PATH: `${bin}:${process.env.PATH}`, HDDT_DATA_DIR: path.join(dir, 'data') };
  const args = [
    'dump',
    '--usb',
    server.path,
    '--protocol',
    'verio-scsi',
    '--db',
    db,
    '--timezone',
    'UTC',
    '--json',
  ];
  const first = await cli(args, env);
  assert.equal(first.code, 0, first.err);
  assert.deepEqual(JSON.parse(first.out), {
    device: 'usb:verio-scsi:CLI-VERIO',
    read: 2,
    stored: 2,
    duplicates: 0,
    expired: 0,
    rejected: 0,
    error: null,
  });
  const second = await cli(args, env);
  assert.equal(second.code, 0, second.err);
  assert.equal(JSON.parse(second.out).duplicates, 2);
  const store = openStore({ path: db });
  t.after(() => store.close());
  assert.deepEqual(
    listReadings(store, 'usb:verio-scsi:CLI-VERIO').map((r) => r.value),
    [140, 95],
  );
});

test('dump --usb: a missing device or an unknown protocol is a usage error (exit 2)', () => {
  const r = runCli(['dump', '--usb', '/nonexistent/hidraw9']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no such device/);
  const p = runCli(['dump', '--usb', '--protocol', 'fax']);
  assert.equal(p.status, 2);
  assert.match(p.stderr, /unknown USB protocol/);
  const none = runCli(['dump']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--port and --protocol .* or --usb/);
});

test('pickUsbMeter: first meter found, a listed path, or a named path with its protocol', () => {
  const found = [
    { protocol: 'freestyle-hid' as const, path: '/dev/hidraw1' },
    { protocol: 'verio-scsi' as const, path: '/dev/sg2' },
  ];
  const base = { timezone: 'UTC', retries: '3', timeoutMs: '2000' };
  assert.equal(pickUsbMeter({ ...base, usb: true }, found).path, '/dev/hidraw1');
  assert.equal(pickUsbMeter({ ...base, usb: true, protocol: 'verio-scsi' }, found).path, '/dev/sg2');
  assert.equal(pickUsbMeter({ ...base, usb: '/dev/sg2' }, found).protocol, 'verio-scsi');
  assert.throws(
    () => pickUsbMeter({ ...base, usb: true }, []),
    (e) => e instanceof UsageError && /no USB meter found/.test(e.message),
  );
  assert.throws(() => pickUsbMeter({ ...base, usb: '/' }, []), /name its --protocol/);
});
