// Stopping the BLE central: noble closes its UART without waiting for writes in flight (its own stop queues
// scan-off and disconnect commands); the EBADF those writes get must not become an uncaught exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { CgmSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import { startBleRig, until } from './helpers.ts';

test(
  "after the central stops, an error on noble's serial port is absorbed",
  { timeout: 30_000 },
  async () => {
    let cgm!: CgmSimulator;
    const rig = await startBleRig({
      setup: (controller) => {
        cgm = new CgmSimulator(controller, { address: 'c0:11:22:33:44:55', history: { count: 20 } });
      },
    });
    let closed = false;
    try {
      await until(() => rig.count() >= 20, 10_000, 'backfill of 20');
      const serial = (rig.central as unknown as { radio: { noble: unknown } }).radio.noble as {
        _bindings: { _hci: { _socket: { _serialDevice: EventEmitter } } };
      };
      const port = serial._bindings._hci._socket._serialDevice;
      cgm.close();
      await rig.close();
      closed = true;
      const late = Object.assign(new Error('EBADF: bad file descriptor, write'), { code: 'EBADF' });
      assert.doesNotThrow(() => port.emit('error', late));
    } finally {
      if (!closed) {
        cgm.close();
        await rig.close();
      }
    }
  },
);

test(
  'a radio that goes away (the controller and its pty gone) neither wedges scanning nor hangs stop',
  { timeout: 45_000 },
  async () => {
    let cgm!: CgmSimulator;
    const rig = await startBleRig({
      ble: { gattTimeoutMs: 1000 },
      setup: (controller) => {
        cgm = new CgmSimulator(controller, { address: 'c0:11:22:33:44:56', history: { count: 10 } });
      },
    });
    try {
      await until(() => rig.count() >= 10, 10_000, 'backfill of 10');
      cgm.close();
      await rig.controller.close(); // socat killed: noble's port closes, the adapter reports poweredOff
      // scanning is refused (adapter powered off) or times out (no answer), is retried, and never waits forever
      // for a controller that is not there
      await until(
        () =>
          rig.logs.some(
            (l) =>
              l.msg === 'BLE scan start failed; retrying' &&
              /adapter is|no answer within/.test(String(l.reason)),
          ),
        // generous: on a loaded 2-core machine the first retry has been seen after 15 s
        25_000,
        'a scan retry naming why',
      );
      const stopped = rig.central.stop().then(() => 'stopped');
      const deadline = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000).unref());
      assert.equal(await Promise.race([stopped, deadline]), 'stopped');
    } finally {
      await rig.close();
    }
  },
);
