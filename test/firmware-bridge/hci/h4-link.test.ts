// Closing the controller's UART end: a write still in flight when the port closes fails (EBADF); that must not
// surface as an error, and a port error nobody listens to must not crash the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SerialPort } from 'serialport';
import { H4Link } from '../../../firmware-bridge/hci/h4-link.ts';
import { createPtyPair } from '../../../firmware-bridge/hci/pty.ts';
import { VirtualController } from '../../../firmware-bridge/hci/index.ts';

const portOf = (x: unknown): SerialPort => (x as { port: SerialPort }).port;
const linkOf = (c: VirtualController): H4Link => (c as unknown as { link: H4Link }).link;
const T = { timeout: 10_000 };

test(
  'close() with a full pty and nobody reading resolves, and a late write error is not reported',
  T,
  async () => {
    const pty = await createPtyPair();
    try {
      const link = await H4Link.open(pty.controllerPath);
      const errors: Error[] = [];
      link.on('error', (e) => errors.push(e));
      // far more than a pty buffers: the last write is still in flight when close() runs
      for (let i = 0; i < 32; i++) link.write(Buffer.alloc(64 * 1024, i));
      const closing = link.close();
      portOf(link).emit(
        'error',
        Object.assign(new Error('EBADF: bad file descriptor, write'), { code: 'EBADF' }),
      );
      await closing;
      assert.equal(link.isOpen, false);
      assert.deepEqual(errors, [], 'an error after close() began is expected, not reported');
      link.write(Buffer.from([1, 3, 12, 0])); // a write after close is dropped, never thrown
    } finally {
      await pty.close();
    }
  },
);

test('a port error before close is reported to a listener, and kept when nobody listens', T, async () => {
  const controller = await VirtualController.start();
  try {
    const link = linkOf(controller);
    const boom = new Error('EIO: i/o error, write');
    // nobody listens on the controller: kept, not thrown
    assert.doesNotThrow(() => portOf(link).emit('error', boom));
    assert.equal(controller.lastError, boom);
    const seen: Error[] = [];
    controller.on('error', (e) => seen.push(e));
    const second = new Error('EIO again');
    portOf(link).emit('error', second);
    assert.deepEqual(seen, [second]);
  } finally {
    await controller.close();
  }
});
