// End to end with faults: the link drops at 5 random points of a 20,160-record backfill, and records with a
// wrong E2E-CRC or malformed notifications arrive. Real noble over a real pty, real SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CgmSimulator, type TransferEnd } from '../../../firmware-bridge/peripherals/index.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { startBleRig, until } from './helpers.ts';

const T = { timeout: 90_000 };

const ge = (n: number) =>
  `010301${(n & 0xff).toString(16).padStart(2, '0')}${(n >> 8).toString(16).padStart(2, '0')}`;

// one record per notification, and up to 30 (spec A.2: a notification may carry several records)
for (const perNotification of [1, 30]) {
  const packed = perNotification > 1 ? ` (${perNotification} records per notification)` : '';
  const addr = (last: number) => `c0:11:22:33:${perNotification > 1 ? '55' : '44'}:${last}`;

  test(
    `the link dropped at 5 random points during backfill still ends with exactly 20,160 records, no duplicates${packed}`,
    T,
    async (t) => {
      const N = 20_160;
      const address = addr(66);
      const key = `ble:${address}`;
      // 5 random drop points spread over the history, each given as "records into that transfer"
      const cuts = Array.from({ length: 5 }, (_, i) => Math.floor((N / 6) * (i + 0.5 + Math.random() * 0.9)));
      const perTransfer = cuts.map((c, i) => c - (i === 0 ? 0 : cuts[i - 1]));
      t.diagnostic(`drops after ${cuts.join(', ')} records`);
      let cgm!: CgmSimulator;
      const ends: TransferEnd[] = [];
      const rig = await startBleRig({
        setup: (controller) => {
          cgm = new CgmSimulator(controller, {
            address,
            history: { count: N },
            e2eCrc: true,
            live: false,
            recordsPerNotification: perNotification,
            faults: { dropLinkAfterRecords: perTransfer[0], dropLinkTimes: 1 },
          });
          cgm.on('transfer-end', (end) => {
            ends.push(end);
            const drops = ends.filter((e) => e.outcome === 'dropped').length;
            if (end.outcome === 'dropped' && drops < perTransfer.length)
              cgm.setFaults({ dropLinkAfterRecords: perTransfer[drops], dropLinkTimes: 1 });
          });
        },
      });
      try {
        await until(() => rig.count(key) >= N, 60_000, 'backfill through 5 drops');
        await until(() => ends.some((e) => e.outcome === 'success'), 5000, 'final transfer ends');
        assert.deepEqual(
          ends.map((e) => e.outcome),
          ['dropped', 'dropped', 'dropped', 'dropped', 'dropped', 'success'],
        );
        // every record sent before a drop was stored, so each new request starts exactly after them
        assert.deepEqual(
          cgm.racpRequests.map((r) => r.hex),
          ['0101', ...cuts.map(ge)],
        );
        const readings = listReadings(rig.store, key);
        assert.equal(readings.length, N);
        assert.equal(new Set(readings.map((r) => r.identity)).size, N, 'no duplicate identities');
        assert.deepEqual(
          readings.map((r) => r.recordNumber),
          Array.from({ length: N }, (_, i) => i),
        );
        const status = rig.central.status().find((s) => s.key === key);
        assert.equal(status?.connects, 6);
        assert.equal(status?.duplicates, 0, 'nothing was fetched twice');
        assert.equal(status?.stored, N);
      } finally {
        cgm.close();
        await rig.close();
      }
    },
  );

  test(
    `records with a wrong E2E-CRC and malformed notifications are rejected, counted, logged raw, never stored${packed}`,
    T,
    async () => {
      const N = 2000;
      const address = addr(77);
      const key = `ble:${address}`;
      let cgm!: CgmSimulator;
      const rig = await startBleRig({
        setup: (controller) => {
          cgm = new CgmSimulator(controller, {
            address,
            history: { count: N },
            e2eCrc: true,
            live: false,
            recordsPerNotification: perNotification,
            faults: { corruptCrcEvery: 100, malformedEvery: 500 },
          });
        },
      });
      try {
        await until(() => rig.count(key) >= N - 20, 30_000, 'backfill');
        await until(
          () => cgm.peripheral.isSubscribed('2aa7') && rig.central.status()[0]?.state === 'syncing',
          2000,
          'live',
        );
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(rig.count(key), N - 20, '20 of 2000 records carried a wrong CRC');
        assert.equal(rig.central.counters.get(key, 'crc-mismatch'), 20);
        assert.equal(rig.central.counters.get(key, 'malformed'), 4);
        const stored = new Set(listReadings(rig.store, key).map((r) => r.recordNumber));
        for (let k = 100; k <= N; k += 100)
          assert.equal(stored.has(k - 1), false, `record ${k - 1} (the ${k}th) not stored`);
        // logged with the raw bytes, as received
        const crcLogs = rig.logs.filter((l) => l.reason === 'crc-mismatch');
        assert.equal(crcLogs.length, 20);
        const sent99 = Buffer.from(cgm.records[99].bytes);
        sent99[sent99.length - 1] ^= 0xa5;
        assert.equal(crcLogs[0].raw, sent99.toString('hex'));
        const malformed = rig.logs.filter((l) => l.reason === 'malformed');
        assert.equal(malformed.length, 4);
        assert.equal(malformed[0].raw, '07e30c10060000');
        const metrics = rig.central.metrics();
        assert.equal(metrics[`ble_records_rejected_total{device="${key}",reason="crc-mismatch"}`], 20);
        // a live record with a wrong CRC is refused the same way
        cgm.setFaults({ corruptCrcEvery: 1, malformedEvery: null });
        cgm.tick();
        await until(
          () => rig.central.counters.get(key, 'crc-mismatch') === 21,
          2000,
          'live CRC error counted',
        );
        assert.equal(rig.count(key), N - 20);
      } finally {
        cgm.close();
        await rig.close();
      }
    },
  );
}
