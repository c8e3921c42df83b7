import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPtyPair, measurePtyByteRate } from '../../../firmware-bridge/hci/index.ts';
import fs from 'node:fs';

test(
  'the raw pty ceiling: 20,160 ACL-sized buffers arrive in full and are timed',
  { timeout: 30_000 },
  async (t) => {
    // One CGM notification as it crosses the UART: H4 ACL header + L2CAP + ATT notify + 15-byte record.
    const packet = Buffer.from('0240201600120004001b0500' + '00'.repeat(15), 'hex');
    const buffers = Array.from({ length: 20_160 }, () => packet);
    const r = await measurePtyByteRate(buffers);
    assert.equal(r.packets, 20_160);
    assert.equal(r.bytes, 20_160 * packet.length);
    assert.ok(r.ms > 0 && r.bytesPerSecond > 0 && Number.isFinite(r.bytesPerSecond));
    t.diagnostic(`${r.bytes} bytes in ${r.ms.toFixed(1)} ms = ${Math.round(r.bytesPerSecond)} B/s`);
  },
);

test('createPtyPair links both ends and removes them on close', { timeout: 10_000 }, async () => {
  const pty = await createPtyPair();
  assert.ok(fs.realpathSync(pty.controllerPath).startsWith('/dev/pts/'));
  assert.ok(fs.realpathSync(pty.hostPath).startsWith('/dev/pts/'));
  await pty.close();
  await pty.close();
  assert.equal(fs.existsSync(pty.hostPath), false);
});
