// `hddt-gateway simulate`: the real command in a child process prints the pty, serves the scenario's
// peripherals to the real noble, takes control commands, and on SIGTERM exits 0 with socat gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { withBindings } from '@stoprocent/noble';
import { VirtualController, VirtualRadio } from '../../../firmware-bridge/hci/index.ts';
import { runCli, spawnCli } from '../../helpers/cli.ts';
import { connect, discover, hex, request, within } from './helpers.ts';

const T = { timeout: 90_000 };

let dir: string;
const children: ChildProcess[] = [];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-test-'));
  fs.writeFileSync(
    path.join(dir, 'small.json'),
    JSON.stringify({
      peripherals: [
        { kind: 'cgm', address: 'c0:11:22:33:77:01', history: { count: 30 }, live: false },
        { kind: 'glucose', address: 'c0:11:22:33:77:02', history: { count: 12 } },
      ],
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'bad.json'),
    JSON.stringify({ peripherals: [{ kind: 'cgm', address: 'c0:11:22:33:77:01', intervalMinutes: 2 }] }),
  );
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts the command; resolves with the child and a reader of its stdout lines. */
async function start(args: string[]) {
  const child = spawnCli(['simulate', ...args]);
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const nextLine = (ms = 60_000) =>
    within(
      new Promise<string>((resolve) => {
        const l = queue.shift();
        if (l !== undefined) resolve(l);
        else waiting.push(resolve);
      }),
      ms,
      `a line from simulate (stderr: ${stderr})`,
    );
  return { child, nextLine, stderr: () => stderr };
}

test('prints "pty: PATH" and exits 0 on SIGTERM, removing the pty (socat killed)', T, async () => {
  const { child, nextLine } = await start(['--scenario', path.join(dir, 'small.json')]);
  const line = await nextLine();
  const m = /^pty: (\/\S+)$/.exec(line);
  assert.ok(m, `one line "pty: PATH", got ${line}`);
  const pty = m[1];
  assert.ok(fs.existsSync(pty), 'the pty exists while running');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code, signal] = await within(exited, 15_000, 'exit after SIGTERM');
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.equal(fs.existsSync(pty), false, 'socat gone: the pty links are removed');
  assert.equal(fs.existsSync(path.dirname(pty)), false);
});

test(
  '--json --control: JSON description; noble reads the sensors on the pty; control commands answer',
  T,
  async () => {
    const { child, nextLine } = await start([
      '--scenario',
      path.join(dir, 'small.json'),
      '--json',
      '--control',
    ]);
    const description = JSON.parse(await nextLine()) as {
      pty: string;
      peripherals: { kind: string; address: string; records: number; serviceUuid: string }[];
    };
    assert.deepEqual(
      description.peripherals.map((p) => [p.kind, p.address, p.serviceUuid, p.records]),
      [
        ['cgm', 'c0:11:22:33:77:01', '181f', 30],
        ['glucose', 'c0:11:22:33:77:02', '1808', 12],
      ],
    );
    const noble = withBindings('hci', { hciDriver: 'uart', bindParams: { uart: { port: description.pty } } });
    try {
      await noble.waitForPoweredOnAsync(10_000);
      const l = await connect(await discover(noble, '1808', 'c0:11:22:33:77:02'));
      await l.char('2a18').subscribeAsync();
      await l.char('2a52').subscribeAsync();
      assert.deepEqual(await request(l.char('2a52'), hex('04 03 01 0a 00')), hex('05 00 03 00'));
      child.stdin?.write('{"address":"c0:11:22:33:77:02","requests":true}\n');
      assert.deepEqual(JSON.parse(await nextLine(10_000)), {
        ok: true,
        address: 'c0:11:22:33:77:02',
        racp: ['0403010a00'],
      });
      const live = once(l.char('2a18'), 'data');
      child.stdin?.write('{"address":"c0:11:22:33:77:02","measurement":{"glucose":111}}\n');
      assert.deepEqual(JSON.parse(await nextLine(10_000)), {
        ok: true,
        address: 'c0:11:22:33:77:02',
        sequence: 13,
      });
      const [data] = (await within(live, 10_000, 'live measurement')) as [Buffer];
      assert.equal(data.readUInt16LE(1), 13);
      await l.peripheral.disconnectAsync();
    } finally {
      noble.stop();
    }
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    assert.equal((await within(exited, 15_000, 'exit after SIGINT'))[0], 0);
    assert.equal(fs.existsSync(description.pty), false);
  },
);

test(
  '--adapter PATH: the meter runs on bleno on an HCI UART controller; noble on another controller reads it',
  T,
  async () => {
    const radio = new VirtualRadio();
    const a = await VirtualController.start({ radio, address: 'a0:00:00:00:00:0a' });
    const b = await VirtualController.start({ radio, address: 'b0:00:00:00:00:0b' });
    const noble = withBindings('hci', a.nobleOptions());
    try {
      const { child, nextLine } = await start([
        ...['--scenario', path.join(dir, 'small.json'), '--peripheral', 'C0:11:22:33:77:02'],
        ...['--adapter', b.hostPath, '--device-address', '--json', '--control'],
      ]);
      const description = JSON.parse(await nextLine()) as {
        peripherals: {
          kind: string;
          address: string;
          adapter: string;
          adapterAddress: string;
          records: number;
        }[];
      };
      assert.deepEqual(description.peripherals, [
        {
          kind: 'glucose',
          address: 'c0:11:22:33:77:02',
          name: 'Sim Meter',
          serial: 'SIM-22337702',
          serviceUuid: '1808',
          records: 12,
          adapter: b.hostPath,
          adapterAddress: 'c0:11:22:33:77:02',
        },
      ]);
      assert.equal(b.address, 'c0:11:22:33:77:02', '--device-address: bleno set the controller address');
      await noble.waitForPoweredOnAsync(10_000);
      const l = await connect(await discover(noble, '1808', 'c0:11:22:33:77:02'));
      assert.equal((await l.char('2a29').readAsync()).toString(), 'Glukko Inc.');
      await l.char('2a18').subscribeAsync();
      await l.char('2a52').subscribeAsync();
      assert.deepEqual(await request(l.char('2a52'), hex('04 01')), hex('05 00 0c 00'), '12 records');
      child.stdin?.write('{"address":"c0:11:22:33:77:02","requests":true}\n');
      assert.deepEqual(JSON.parse(await nextLine(10_000)), {
        ok: true,
        address: 'c0:11:22:33:77:02',
        racp: ['0401'],
      });
      const live = once(l.char('2a18'), 'data');
      child.stdin?.write('{"address":"c0:11:22:33:77:02","measurement":{"glucose":111}}\n');
      assert.equal(JSON.parse(await nextLine(10_000)).sequence, 13);
      const [data] = (await within(live, 10_000, 'live measurement')) as [Buffer];
      assert.equal(data.readUInt16LE(1), 13);
      const gone = once(l.peripheral, 'disconnect');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.equal((await within(exited, 15_000, 'exit after SIGTERM'))[0], 0);
      await within(gone, 5000, 'the link ends with the simulator');
    } finally {
      // noble.stop() throws when it never powered on; that must not hide the failure above.
      await noble.waitForPoweredOnAsync(1).then(
        () => noble.stop(),
        () => undefined,
      );
      await a.close();
      await b.close();
    }
  },
);

test('--adapter: one adapter for two scenario devices, or no such device: exit 2 and one line', T, () => {
  const two = runCli(['simulate', '--scenario', path.join(dir, 'small.json'), '--adapter', '/dev/null']);
  assert.equal(two.status, 2);
  assert.match(two.stderr, /^hddt-gateway: .*2 peripheral\(s\) and 1 adapter\(s\).*\n$/);
  const missing = runCli([
    ...['simulate', '--scenario', path.join(dir, 'small.json'), '--peripheral', 'c0:11:22:33:77:01'],
    ...['--adapter', path.join(dir, 'no-such-tty')],
  ]);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, `hddt-gateway: ${path.join(dir, 'no-such-tty')}: no such serial device\n`);
  const name = runCli([
    'simulate',
    '--scenario',
    path.join(dir, 'small.json'),
    '--peripheral',
    'c0:00:00:00:00:01',
  ]);
  assert.equal(name.status, 2);
  assert.match(name.stderr, /--peripheral names an address the scenario does not have/);
});

test('an invalid scenario: exit 2 and one line naming the field', T, () => {
  const r = runCli(['simulate', '--scenario', path.join(dir, 'bad.json')]);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    `hddt-gateway: scenario field 'peripherals[0].intervalMinutes' has value 2: expected one of [1,5]\n`,
  );
  assert.equal(r.stdout, '');
});
