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
