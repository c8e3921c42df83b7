// `hddt-gateway ble capture`: the real command in a child process against a simulated meter on the virtual
// controller (real noble, UART driver); the file it writes is private and `simulate --scenario FILE` replays it.
// Wrong input fails with exit 2 and one line saying what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { VirtualController } from '../../firmware-bridge/hci/index.ts';
import { GlucoseMeterSimulator } from '../../firmware-bridge/peripherals/index.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const T = { timeout: 60_000 };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawnCli(args);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, out, err };
}

function configIn(dir: string, uartPort: string): string {
  const file = path.join(dir, 'config.json');
  const ble = { driver: 'uart', uartPort, racpTimeoutMs: 3000 };
  fs.writeFileSync(file, JSON.stringify({ dataDir: path.join(dir, 'data'), ble }));
  return file;
}

test('bad input: no --out, a wrong address or --seconds, a folder that is not there; exit 2', T, () => {
  const cases: Array<[string[], string]> = [
    [['ble', 'capture'], 'hddt-gateway: ble capture needs --out FILE (where the capture is written)\n'],
    [
      ['ble', 'capture', '--out', 'x.json', '--address', 'c0:aa'],
      'hddt-gateway: --address: c0:aa is not a Bluetooth address (aa:bb:cc:dd:ee:ff)\n',
    ],
    [
      ['ble', 'capture', '--out', 'x.json', '--seconds', 'ten'],
      'hddt-gateway: --seconds must be a whole number 0..3600, got ten\n',
    ],
    [
      ['ble', 'capture', '--out', '/nonexistent-folder/x.json'],
      'hddt-gateway: --out: the folder /nonexistent-folder does not exist\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, stderr);
  }
});

test('nothing advertising: a clear error within --scan-seconds, exit 2, no file', T, async (t) => {
  const { dir, cleanup } = tempDir('hddt-ble-capture-');
  const controller = await VirtualController.start();
  t.after(async () => {
    await controller.close();
    cleanup();
  });
  const out = path.join(dir, 'c.json');
  const config = configIn(dir, controller.hostPath);
  const r = await cli(['ble', 'capture', '--out', out, '--scan-seconds', '1', '--config', config]);
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /hddt-gateway: no glucose meter \(0x1808\) or CGM \(0x181F\) advertised within 1 s \(wake the meter/,
  );
  assert.equal(fs.existsSync(out), false);
});

test(
  'capture a meter, then simulate --scenario replays the file; a broken file is exit 2 naming the field',
  T,
  async (t) => {
    const { dir, cleanup } = tempDir('hddt-ble-capture-');
    const controller = await VirtualController.start();
    const meter = new GlucoseMeterSimulator(controller, {
      address: 'c0:aa:bb:cc:41:01',
      name: 'Kitchen Meter',
      serial: 'KM-0007',
      history: { count: 5, contextEvery: 2, end: '2025-03-01T12:00:00Z' },
    });
    t.after(async () => {
      meter.close();
      await controller.close();
      cleanup();
    });
    const out = path.join(dir, 'meter.json');
    const config = configIn(dir, controller.hostPath);
    const r = await cli([
      'ble',
      'capture',
      '--address',
      'C0:AA:BB:CC:41:01',
      '--seconds',
      '0',
      '--out',
      out,
      '--config',
      config,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(
        `^wrote ${out}: glucose meter c0:aa:bb:cc:41:01 "Kitchen Meter", 5 record\\(s\\), \\d+ exchange\\(s\\)\n$`,
      ),
    );
    assert.match(r.err, /the device holds 5 record\(s\)/);
    assert.match(r.err, /meter\.json holds the patient's glucose readings: keep it private/);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600, 'readable by its owner only');
    assert.deepEqual(
      meter.racpRequests.map((q) => q.hex),
      ['0401', '0101'],
    );

    const sim = spawnCli(['simulate', '--scenario', out, '--json']);
    t.after(() => void (sim.exitCode === null && sim.kill('SIGKILL')));
    const [line] = (await once(readline.createInterface({ input: sim.stdout! }), 'line')) as [string];
    const described = JSON.parse(line) as { peripherals: Array<Record<string, unknown>> };
    assert.deepEqual(
      described.peripherals.map((p) => [p.kind, p.address, p.name, p.serial, p.records]),
      [['glucose', 'c0:aa:bb:cc:41:01', 'Kitchen Meter', 'KM-0007', 5]],
    );
    sim.kill('SIGTERM');
    assert.deepEqual(await once(sim, 'exit'), [0, null]);

    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { exchanges: Array<Record<string, unknown>> };
    doc.exchanges[0].dir = 'received';
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify(doc));
    const refused = runCli(['simulate', '--scenario', bad]);
    assert.equal(refused.status, 2);
    assert.equal(
      refused.stderr,
      `hddt-gateway: capture field 'exchanges[0].dir' has value "received": expected one of ["read","write","notify","indicate"]\n`,
    );
  },
);
