// MQTT 5 flow control: the publisher never has more unacknowledged batches than the broker's Receive Maximum
// (from its CONNACK), even when its own window (maxInflight) is larger. Mosquitto does not enforce the limit
// (HiveMQ and EMQX do, by disconnecting), so the test looks at the publisher's peak in-flight count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { lastSeq, outboxStats, sentThrough } from '../../../gateway/store/outbox.ts';
import { Publisher } from '../../../gateway/sync/publisher.ts';
import { bgSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Broker } from '../../../bench/rigs/broker.ts';
import { openGatewayStore, publisherOptions, T0, waitFor } from './fixtures/sync-env.ts';

for (const [receiveMaximum, maxInflight, expected] of [
  [3, 16, 3],
  [20, 4, 4],
] as const) {
  test(`broker Receive Maximum ${receiveMaximum}, maxInflight ${maxInflight}: at most ${expected} in flight`, async (t) => {
    const { dir, cleanup } = tempDir('hddt-rm-');
    t.after(cleanup);
    const broker = new Broker({
      dir: path.join(dir, 'broker'),
      listenerLines: ['allow_anonymous true', `max_inflight_messages ${receiveMaximum}`],
    });
    t.after(() => broker.stop('SIGKILL'));
    await broker.start();
    const hub = openGatewayStore(path.join(dir, 'hub.sqlite'));
    t.after(() => hub.close());
    ingest(hub, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 10 }), {
      now: new Date('2025-11-01T00:00:00Z'),
    });
    const batches = Math.ceil(outboxStats(hub).entries / 2);
    assert.ok(batches > 2 * maxInflight, 'enough batches to fill any window');
    const publisher = new Publisher(
      hub,
      publisherOptions('hub-rm', broker.url, {
        batchSize: 2,
        maxInflight,
        maxMessagesPerSecond: 0,
        ack: { enabled: false, resendAfterMs: 60_000 },
      }),
    );
    t.after(() => publisher.stop());
    const last = lastSeq(hub);
    publisher.start();
    assert.equal(publisher.sentThrough, 0);
    await waitFor('outbox to drain', () => outboxStats(hub).entries === 0, 30_000);
    assert.equal(publisher.sentThrough, last, 'the stored sent mark, seen from memory');
    assert.equal(sentThrough(hub), last);
    const m = publisher.metrics();
    assert.equal(m.inflightWindow, expected);
    assert.equal(m.peakInflight, expected, 'the window filled, and never beyond it');
    assert.equal(m.messagesSent, batches);
  });
}
