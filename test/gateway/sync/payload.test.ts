// The batch wire format: round trips in both encodings keep every resource's JSON byte-identical, and any
// byte string either decodes to a checked batch or fails with a PayloadError (never anything else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as cborEncode } from 'cbor-x';
import fc from 'fast-check';
import type { OutboxRow } from '../../../gateway/store/outbox.ts';
import { decodeBatch, encodeBatch, PayloadError, resourceJson } from '../../../gateway/sync/payload.ts';

const jsonText = fc
  .dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  .map((extra) => extra);

function resourceRow(seq: number, type: string, id: string, extra: object, version: number): OutboxRow {
  const json = JSON.stringify({ resourceType: type, id, meta: { versionId: String(version) }, ...extra });
  return {
    seq,
    created_ms: 1,
    kind: 'resource',
    device_key: 'ble:aa',
    res_type: type,
    res_id: id,
    version,
    last_updated_ms: 1_700_000_000_000 + seq,
    code: seq % 2 ? '2339-0' : null,
    effective_start_ms: seq % 3 ? 1_700_000_000_000 : null,
    effective_end_ms: null,
    value: seq % 2 ? 101.5 : null,
    unit: seq % 2 ? 'mg/dL' : null,
    ref: null,
    status: 'final',
    json,
    patient: null,
    at_ms: null,
    sent_ms: null,
  };
}

const rows = fc
  .tuple(
    fc.integer({ min: 1, max: 1_000_000 }),
    fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('resource' as const),
          type: fc.constantFrom('Observation', 'Device', 'DeviceMetric'),
          id: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/),
          version: fc.integer({ min: 1, max: 1000 }),
          extra: jsonText,
        }),
        fc.record({
          kind: fc.constant('assignment' as const),
          patient: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: null }),
        }),
      ),
      { minLength: 1, maxLength: 20 },
    ),
  )
  .map(([first, specs]) =>
    specs.map((sp, i): OutboxRow => {
      const seq = first + i;
      if (sp.kind === 'resource') return resourceRow(seq, sp.type, sp.id, sp.extra, sp.version);
      return {
        ...resourceRow(seq, 'Device', 'x', {}, 1),
        kind: 'assignment',
        res_type: null,
        res_id: null,
        version: null,
        last_updated_ms: null,
        json: null,
        patient: sp.patient,
        at_ms: 1_700_000_000_000,
      };
    }),
  );

const header = { gw: 'hub-1', stream: '0123456789abcdef', floor: 1, sentAt: 1_700_000_000_000 };

for (const format of ['cbor', 'json'] as const) {
  test(`${format}: round trip keeps sequence numbers, search columns and the exact resource JSON`, () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const batch = decodeBatch(encodeBatch(header, rs, format));
        assert.equal(batch.gw, 'hub-1');
        assert.equal(batch.from, rs[0].seq);
        assert.equal(batch.to, rs.at(-1)!.seq);
        batch.entries.forEach((e, i) => {
          const r = rs[i];
          assert.equal(e.seq, r.seq);
          if (e.kind === 'resource') {
            assert.equal(resourceJson(e), r.json);
            assert.equal(e.version, r.version);
            assert.deepEqual(
              [e.index.code, e.index.value, e.index.effectiveStart, e.index.status],
              [r.code, r.value, r.effective_start_ms, r.status],
            );
          } else {
            assert.equal(e.patient, r.patient);
            assert.equal(e.deviceKey, r.device_key);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
}

test('CBOR is plain (no cbor-x record extension): a generic decoder sees maps', () => {
  const rs = [resourceRow(1, 'Observation', 'o1', { status: 'final' }, 1)];
  const bytes = encodeBatch(header, rs, 'cbor');
  // major type 5 (map) at the top, and no tag 105 (cbor-x records) anywhere
  assert.equal(bytes[0] >> 5, 5);
  assert.ok(!bytes.includes(Buffer.from([0xd8, 0x69])));
  assert.ok(bytes.length < encodeBatch(header, rs, 'json').length);
  const decoded = decodeBatch(bytes).entries[0];
  assert.equal(decoded.kind === 'resource' && decoded.resource, rs[0].json, 'resource as its JSON text');
});

test('any bytes: a checked batch or a PayloadError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeBatch(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof PayloadError, String(err));
      }
    }),
    { numRuns: 2000 },
  );
});

test('well-formed CBOR of the wrong shape is refused with a reason', () => {
  const good = decodeBatch(encodeBatch(header, [resourceRow(5, 'Device', 'd1', {}, 2)], 'cbor'));
  const cases: Array<[string, unknown]> = [
    ['version', { ...good, v: 2 }],
    ['gw', { ...good, gw: 'a/b' }],
    ['range', { ...good, to: 6 }],
    ['seq', { ...good, entries: [{ ...good.entries[0], seq: 9 }] }],
    ['type', { ...good, entries: [{ ...good.entries[0], type: 'Patient' }] }],
    ['id', { ...good, entries: [{ ...good.entries[0], id: 'other' }] }],
    ['text', { ...good, entries: [{ ...good.entries[0], resource: '{"resourceType":' }] }],
    ['array', [1, 2, 3]],
  ];
  for (const [name, value] of cases) {
    assert.throws(() => decodeBatch(cborEncode(value)), PayloadError, name);
  }
  fc.assert(
    fc.property(fc.anything(), (value) => {
      try {
        decodeBatch(cborEncode(value));
      } catch (err) {
        assert.ok(err instanceof PayloadError);
      }
    }),
  );
});
