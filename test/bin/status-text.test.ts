// `hddt-gateway status` as text: every fact of the snapshot reaches the operator, warnings stand out, and
// without colour (NO_COLOR, a pipe) no escape sequence is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatusText } from '../../bin/commands/status.ts';
import type { DeviceView, StatusSnapshot } from '../../server/operator/status.ts';

const cgm: DeviceView = {
  key: 'ble:AA:BB:CC:DD:EE:01',
  kind: 'cgm',
  transport: 'ble',
  manufacturer: 'Acme',
  model: 'CGM One',
  serialNumber: 'SN-42',
  connection: 'syncing',
  lastOutcome: 'synced',
  lastSeenAt: '2026-12-07T10:00:00.000Z',
  lastReading: {
    at: '2026-12-07T09:40:00.000Z',
    ageSeconds: 1200,
    value: 112,
    unit: 'mg/dL',
    flag: null,
    flagReason: null,
  },
  session: { startedAt: '2026-12-01T00:00:00.000Z', expiresAt: null, expiresInSeconds: -3600, expired: true },
  readingsStored: 2016,
  rejected: 3,
} as DeviceView;

const snapshot: StatusSnapshot = {
  generatedAt: '2026-12-07T10:00:00.000Z',
  gatewayId: 'hub-7',
  source: 'live',
  ready: true,
  uptimeSeconds: 7260,
  parts: [
    { name: 'ble', enabled: true, running: true },
    { name: 'serial', enabled: true, running: false },
    { name: 'mqtt', enabled: false, running: null },
  ],
  store: { file: '/var/lib/hddt-gateway/hddt.sqlite', bytes: 3 * 1024 * 1024, walBytes: 4096 },
  devices: [
    cgm,
    { ...cgm, key: 'serial:ultra2:X1', kind: 'bgm', lastReading: null, session: null, rejected: 0 },
  ],
  sync: {
    enabled: true,
    connected: false,
    entries: 120,
    unsent: 80,
    oldestAgeSeconds: 5400,
    alarm: { active: true, reason: 'backlog older than 1 h' },
  },
  pairings: { active: 2, total: 5 },
  hubClock: null,
  recentEvents: [{ at: '2026-12-07T09:59:00.000Z', level: 'warn', component: 'ble', message: 'link lost' }],
  glucose: {
    last24h: { cgmSamples: 288, meterReadings: 4 },
    agp14d: { samples: 4032, timeInRange: { below: 0.04, within: 0.71, above: 0.25 } as never },
  },
};

test('the text names every part of the snapshot, device by device', () => {
  const text = renderStatusText(snapshot, false, 'http://127.0.0.1:9464');
  const lines = text.split('\n');
  assert.match(lines[0]!, /^hddt-gateway hub-7 · ready · up .+ · live from http:\/\/127\.0\.0\.1:9464$/);
  assert.match(text, /parts +ble: running {2}serial: not running {2}mqtt: off/);
  assert.match(text, /pairings +2 active \(5 in total\)/);
  assert.match(
    text,
    /sync +enabled · disconnected · backlog 120 entries \(80 unsent\), oldest .+ · ALARM: backlog older/,
  );
  assert.match(text, /ble:AA:BB:CC:DD:EE:01 {2}CGM · Acme CGM One · serial SN-42/);
  assert.match(
    text,
    /connection syncing · last sync synced · last .*112.* · sensor expired .* · 2016 stored · 3 rejected/,
  );
  assert.match(text, /serial:ultra2:X1 {2}BGM/);
  assert.match(text, /no reading · 2016 stored\n/);
  assert.match(text, /glucose +last 24 h: 288 CGM samples, 4 meter readings · 14 days: 4032 samples/);
  assert.match(text, /recent warnings and errors\n {2}2026-12-07 09:59:00 warn ble: link lost/);
  assert.ok(text.endsWith('\n'));
  assert.ok(!text.includes('\u001b['), 'no colour codes');
});

test('from the database alone: no events section, and colour only when asked', () => {
  const offline = { ...snapshot, source: 'database' as const, devices: [], uptimeSeconds: null };
  const text = renderStatusText(offline, false, null);
  assert.match(text, /gateway not reachable · from the database/);
  assert.match(text, /devices\n {2}none seen yet/);
  assert.doesNotMatch(text, /recent warnings/);
  assert.ok(renderStatusText(snapshot, true, 'x').includes('\u001b[31mALARM'));
});
