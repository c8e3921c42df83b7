// A scenario in a child process: noble reads the simulated CGM on the child's pty, RACP events arrive with
// monotonic stamps, the transfer's bytes are captured there and pushed through a fresh pty for the ceiling,
// and close() ends the child and its socat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { withBindings } from '@stoprocent/noble';
import { decodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import type { TransferEnd } from '../../../firmware-bridge/peripherals/index.ts';
import { startSimulationProcess } from '../../../firmware-bridge/peripherals/simulation-process.ts';
import { connect, discover, hex, request, within } from './helpers.ts';

const ADDRESS = 'c0:11:22:33:44:41';

test(
  'a CGM in a child process: RACP through noble, stamped events, captured bytes, ceiling, close',
  { timeout: 30_000 },
  async () => {
    const sim = await startSimulationProcess(
      {
        peripherals: [
          {
            kind: 'cgm',
            address: ADDRESS,
            history: { count: 100 },
            e2eCrc: true,
            live: false,
            recordsPerNotification: 10,
          },
        ],
      },
      { capture: true },
    );
    const noble = withBindings('hci', {
      hciDriver: 'uart',
      bindParams: { uart: { port: sim.ptyPath, baudRate: 1_000_000 } },
    });
    try {
      assert.deepEqual(
        sim.description.peripherals.map((p) => [p.kind, p.address, p.records]),
        [['cgm', ADDRESS, 100]],
      );
      assert.ok(fs.existsSync(sim.ptyPath));
      await noble.waitForPoweredOnAsync(10_000);
      const link = await connect(await discover(noble, '181f', ADDRESS));
      const meas = link.char('2aa7');
      const values: Buffer[] = [];
      meas.on('data', (d: Buffer) => values.push(d));
      await meas.subscribeAsync();
      await link.char('2a52').subscribeAsync();

      const events: string[] = [];
      const stamps: bigint[] = [];
      let ended: TransferEnd | null = null;
      sim.on('racp', (address, h, at) => {
        events.push(`racp ${address} ${h}`);
        stamps.push(at);
      });
      sim.on('transfer-end', (address, end, at) => {
        events.push(`end ${address} ${end.outcome}`);
        ended = end;
        stamps.push(at);
      });
      const before = process.hrtime.bigint();
      assert.deepEqual(await request(link.char('2a52'), hex('01 01')), hex('06 00 01 01'));
      await within(
        new Promise<void>((resolve) => (ended ? resolve() : sim.once('transfer-end', () => resolve()))),
        5000,
        'transfer-end event',
      );
      assert.deepEqual(events, [`racp ${ADDRESS} 0101`, `end ${ADDRESS} success`]);
      assert.deepEqual(ended, { op: 'report', sent: 100, outcome: 'success' });
      const after = process.hrtime.bigint();
      assert.ok(
        stamps.every((s) => s >= before && s <= after),
        'stamps are on this process\u2019s monotonic clock',
      );
      const records = values.flatMap((v) => decodeCgmMeasurement(v, { crc: true }).records);
      assert.equal(records.length, 100);

      // captured: the Write Response, then the 10 notifications, each an H4 ACL packet carrying the value
      const captured = await sim.captured(true);
      assert.ok(captured.data);
      assert.equal(captured.bytes, captured.data.length);
      const notifyBytes = values.reduce((n, v) => n + v.length, 0);
      // H4 type + ACL header (4) + L2CAP header (4) + ATT opcode and handle (3) per notification
      assert.ok(captured.packets >= 10);
      assert.ok(captured.bytes >= notifyBytes + 10 * 12);
      for (const v of values)
        assert.ok(captured.data.includes(v), 'every notification value is in the capture');

      const ceiling = await sim.measureCapturedByteRate();
      assert.equal(ceiling.bytes, captured.bytes);
      assert.equal(ceiling.packets, captured.packets);
      assert.ok(ceiling.ms > 0);
    } finally {
      await noble.stopScanningAsync().catch(() => undefined);
      noble.stop();
      await sim.close();
    }
    assert.equal(fs.existsSync(sim.ptyPath), false, 'socat gone with the child');
    await sim.close();
  },
);
