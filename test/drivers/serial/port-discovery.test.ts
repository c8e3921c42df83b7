import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DiscoveredPort, PortInfo } from '../../../drivers/serial/port-discovery.ts';
import { KNOWN_CABLES, matchRule, PortDiscovery } from '../../../drivers/serial/port-discovery.ts';
import { SerialLink } from '../../../drivers/serial/serial-link.ts';
import { createMeterPty } from '../../../firmware-bridge/meters/pty-pair.ts';

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('configured path: a pty appearing later is picked up, its disappearance aborts the open session', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'discovery-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const gatewayPath = path.join(dir, 'ttyMETER');
  const attached: DiscoveredPort[] = [];
  const detached: DiscoveredPort[] = [];
  const closed: string[] = [];
  const opened: string[] = [];
  const openErrors: string[] = [];
  const discovery = new PortDiscovery({
    rules: [{ protocol: 'onetouch-ultra2', path: gatewayPath }],
    list: () => Promise.reject(new Error('list must not be needed for path rules')),
    intervalMs: 20,
    onAttach: (port, signal) => {
      attached.push(port);
      // What a driver does: open the port, close it when the port goes away.
      SerialLink.open({ path: port.path, baudRate: 9600 }).then(
        (link) => {
          opened.push(port.path);
          signal.addEventListener('abort', () => void link.close().then(() => closed.push(port.path)));
        },
        (err: Error) => openErrors.push(err.message),
      );
    },
    onDetach: (port) => detached.push(port),
  });
  t.after(() => discovery.stop());
  discovery.start();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(attached.length, 0, 'nothing there yet');

  const pty = await createMeterPty({ dir, names: { meter: 'meter-end', gateway: 'ttyMETER' } });
  t.after(() => pty.close());
  await until(() => attached.length === 1 && opened.length === 1);
  assert.deepEqual(openErrors, []);
  assert.deepEqual(
    { path: attached[0].path, protocol: attached[0].protocol },
    { path: gatewayPath, protocol: 'onetouch-ultra2' },
  );
  assert.deepEqual(
    discovery.current().map((p) => p.path),
    [gatewayPath],
  );

  await pty.close(); // cable pulled: socat gone, link removed
  await until(() => detached.length === 1 && closed.length === 1);
  assert.deepEqual(discovery.current(), []);
  assert.equal(attached.length, 1, 'attached once');
});

test('VID/PID matching with an injected list: appear, stay, disappear', async () => {
  let ports: PortInfo[] = [{ path: '/dev/ttyS0' }];
  const events: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const discovery = new PortDiscovery({
    rules: [
      { protocol: 'onetouch-ultra2', vendorId: '067B', productId: '2303' },
      { protocol: 'astm', vendorId: '0x1a79' },
    ],
    list: async () => ports,
    onAttach: (p, signal) => {
      events.push(`+${p.path}:${p.protocol}`);
      signals.set(p.path, signal);
    },
    onDetach: (p) => events.push(`-${p.path}`),
  });
  await discovery.poll();
  assert.deepEqual(events, []);
  ports = [
    { path: '/dev/ttyS0' },
    { path: '/dev/ttyUSB0', vendorId: '067b', productId: '2303', manufacturer: 'Prolific' },
    { path: '/dev/ttyUSB1', vendorId: '067b', productId: '2304' },
    { path: '/dev/ttyACM0', vendorId: '1a79', productId: '7410' },
  ];
  await discovery.poll();
  await discovery.poll(); // no duplicates on a second scan
  assert.deepEqual(events, ['+/dev/ttyUSB0:onetouch-ultra2', '+/dev/ttyACM0:astm']);
  assert.equal(discovery.current().find((p) => p.path === '/dev/ttyUSB0')?.info?.manufacturer, 'Prolific');
  ports = [{ path: '/dev/ttyACM0', vendorId: '1a79', productId: '7410' }];
  await discovery.poll();
  assert.deepEqual(events.slice(2), ['-/dev/ttyUSB0']);
  assert.equal(signals.get('/dev/ttyUSB0')?.aborted, true);
  assert.equal(signals.get('/dev/ttyACM0')?.aborted, false);
  await discovery.stop();
  assert.equal(signals.get('/dev/ttyACM0')?.aborted, true);
});

test('a failing list() is reported and retried; attached ports are kept meanwhile', async () => {
  let fail = false;
  const errors: string[] = [];
  const attached: string[] = [];
  const discovery = new PortDiscovery({
    rules: [{ protocol: 'onetouch-ultraeasy', vendorId: '10c4', productId: '85a7' }],
    list: async () => {
      if (fail) throw new Error('udev unavailable');
      return [{ path: '/dev/ttyUSB3', vendorId: '10c4', productId: '85a7' }];
    },
    onAttach: (p) => attached.push(p.path),
    onError: (e) => errors.push(e.message),
  });
  await discovery.poll();
  fail = true;
  await discovery.poll();
  assert.deepEqual(errors, ['udev unavailable']);
  assert.deepEqual(
    discovery.current().map((p) => p.path),
    ['/dev/ttyUSB3'],
  );
  fail = false;
  await discovery.poll();
  assert.deepEqual(attached, ['/dev/ttyUSB3']);
  await discovery.stop();
});

test('rule matching and the known cable table', () => {
  assert.ok(matchRule({ protocol: 'astm', path: '/dev/x' }, { path: '/dev/x' }));
  assert.ok(
    !matchRule({ protocol: 'astm' }, { path: '/dev/x', vendorId: '1a79' }),
    'a rule needs a path or a VID',
  );
  assert.ok(matchRule(KNOWN_CABLES[0], { path: '/dev/ttyUSB0', vendorId: '067b', productId: '2303' }));
  assert.ok(!matchRule(KNOWN_CABLES[0], { path: '/dev/ttyUSB0', vendorId: '067b' }));
});

test('the real SerialPort.list() is the default and answers', async () => {
  const seen: string[] = [];
  const discovery = new PortDiscovery({
    rules: [{ protocol: 'astm', vendorId: 'ffff', productId: 'ffff' }],
    onAttach: (p) => seen.push(p.path),
    onError: (e) => assert.fail(e.message),
  });
  await discovery.poll();
  assert.deepEqual(seen, []);
  await discovery.stop();
});

test('a missing udevadm is named with the package that provides it', async () => {
  const errors: string[] = [];
  const discovery = new PortDiscovery({
    rules: [{ protocol: 'astm', vendorId: '1a79', productId: '6002' }],
    list: () => Promise.reject(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' })),
    onAttach: (p) => assert.fail(`nothing to attach, got ${p.path}`),
    onError: (e) => errors.push(e.message),
  });
  await discovery.poll();
  assert.deepEqual(errors, [
    'listing serial ports by USB id needs udevadm (Debian package udev): spawn udevadm ENOENT',
  ]);
  await discovery.stop();
});
