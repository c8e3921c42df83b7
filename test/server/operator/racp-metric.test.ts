import { test } from 'node:test';
import assert from 'node:assert/strict';
import { racpTimings } from '../../../drivers/ble/racp-client.ts';
import { gatewayMetrics } from '../../../server/operator/metrics.ts';

test('RACP procedure timings reported by the BLE drivers land in hddt_ble_racp_duration_seconds', async () => {
  racpTimings.emit('procedure', 'cgms', 'response', 3.2);
  racpTimings.emit('procedure', 'gls', 'link-lost', 0.05);
  const text = await gatewayMetrics.registry.metrics();
  assert.match(text, /hddt_ble_racp_duration_seconds_count\{service="cgms",outcome="response"\} 1/);
  assert.match(text, /hddt_ble_racp_duration_seconds_bucket\{le="5",service="cgms",outcome="response"\} 1/);
  assert.match(text, /hddt_ble_racp_duration_seconds_bucket\{le="2.5",service="cgms",outcome="response"\} 0/);
  assert.match(text, /hddt_ble_racp_duration_seconds_count\{service="gls",outcome="link-lost"\} 1/);
});
