// The hand-over step: readings go to ingest() in batches of batchSize, and each ingest() call is reported to
// ingestTimings observers with its size (the BLE bench splits its time into store and the rest with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgmNotificationToReadings } from '../../../drivers/ble/cgm-records.ts';
import { ingestTimings, ReadingSink } from '../../../drivers/ble/reading-sink.ts';
import { encodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import { sfloatFromNumber } from '../../../drivers/codecs/sfloat.ts';
import { countReadings } from '../../../gateway/store/readings.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { storePort } from '../../../gateway/ingest/port.ts';

const start = '2025-03-01T07:00:00.000Z';

test('batches of batchSize go to ingest(); every ingest() call is timed for observers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-sink-test-'));
  const store = openStore({ path: path.join(dir, 'store.sqlite') });
  const timings: [number, number][] = [];
  const onBatch = (records: number, seconds: number) => timings.push([records, seconds]);
  ingestTimings.on('batch', onBatch);
  try {
    const stored: number[] = [];
    const sink = new ReadingSink(storePort(store), {
      batchSize: 3,
      flushMs: 60_000,
      onResult: (batch, result) => stored.push(batch.length, result.stored),
      onError: (_batch, err) => assert.fail(String(err)),
    });
    const value = encodeCgmMeasurement(
      {
        records: Array.from({ length: 7 }, (_, i) => ({
          glucose: sfloatFromNumber(100 + i),
          timeOffsetMinutes: i,
        })),
      },
      { crc: true },
    );
    const { readings, refused } = cgmNotificationToReadings(value, {
      device: { key: 'ble:c0:11:22:33:44:99', transport: 'ble', kind: 'cgm' },
      session: { startedAt: start, intervalSeconds: 60 },
      sessionStartMs: Date.parse(start),
      crc: true,
      annunciationOrder: 'status-first',
      specimen: 'isf',
      limits: { lower: 40, upper: 400 },
      clockOffsetMs: 0,
      receivedAt: new Date().toISOString(),
    });
    assert.deepEqual(refused, []);
    sink.push(readings.slice(0, 2));
    assert.equal(timings.length, 0, 'below batchSize: waits');
    assert.equal(sink.pending, 2);
    sink.push(readings.slice(2));
    sink.flush();
    assert.deepEqual(
      timings.map(([n]) => n),
      [3, 3, 1],
    );
    assert.ok(timings.every(([, s]) => s >= 0 && Number.isFinite(s)));
    assert.deepEqual(stored, [3, 3, 3, 3, 1, 1]);
    assert.equal(countReadings(store), 7);
    sink.close();
  } finally {
    ingestTimings.off('batch', onBatch);
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
