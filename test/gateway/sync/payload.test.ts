// The batch wire format: round trips in both encodings keep every resource's JSON byte-identical, and any
// byte string either decodes to a checked batch or fails with a PayloadError (never anything else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Encoder, encode as cborEncode } from 'cbor-x';
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
    from_ms: null,
    until_ms: null,
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
          patient: fc.stringMatching(/^[0-9a-f]{32}$/),
          from: fc.nat({ max: 2 ** 45 }),
          span: fc.option(fc.nat({ max: 2 ** 40 }), { nil: null }),
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
        from_ms: sp.from,
        until_ms: sp.span === null ? null : sp.from + sp.span,
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
            assert.deepEqual([e.from, e.until], [r.from_ms, r.until_ms]);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
}

// The wire shape (docs/mqtt.md): exactly what cbor-x makes of the batch object with plain maps in preferred
// serialization (shortest map length header), fields in the documented order.
const cborX = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ maxLength: 30 }),
);
const anyNumber = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -24, -25, -(2 ** 32), -(2 ** 32) - 1),
  fc.double({ noNaN: true }),
);

const anyRow = fc.record({
  kind: fc.constantFrom<'resource' | 'assignment'>('resource', 'assignment'),
  device_key: anyText,
  res_type: fc.option(anyText, { nil: null }),
  res_id: fc.option(anyText, { nil: null }),
  version: fc.option(anyNumber, { nil: null }),
  last_updated_ms: fc.option(anyNumber, { nil: null }),
  code: fc.option(anyText, { nil: null }),
  effective_start_ms: fc.option(anyNumber, { nil: null }),
  effective_end_ms: fc.option(anyNumber, { nil: null }),
  value: fc.option(anyNumber, { nil: null }),
  unit: fc.option(anyText, { nil: null }),
  ref: fc.option(anyText, { nil: null }),
  status: fc.option(anyText, { nil: null }),
  json: fc.option(
    fc.oneof(
      anyText,
      jsonText.map((o) => JSON.stringify(o)),
    ),
    { nil: null },
  ),
  patient: fc.option(anyText, { nil: null }),
  at_ms: fc.option(anyNumber, { nil: null }),
  from_ms: fc.option(anyNumber, { nil: null }),
  until_ms: fc.option(anyNumber, { nil: null }),
});
const anyHeader = fc.record({ gw: anyText, stream: anyText, floor: anyNumber, sentAt: anyNumber });

/** The batch as a plain object, the oracle the encoders must match byte for byte; `resource` maps a row's JSON. */
function batchObject(
  h: { gw: string; stream: string; floor: number; sentAt: number },
  rs: OutboxRow[],
  resource: (json: string | null) => unknown,
) {
  return {
    v: 2,
    gw: h.gw,
    stream: h.stream,
    from: rs[0].seq,
    to: rs.at(-1)!.seq,
    floor: h.floor,
    sentAt: h.sentAt,
    entries: rs.map((r) =>
      r.kind === 'assignment'
        ? {
            seq: r.seq,
            kind: r.kind,
            deviceKey: r.device_key,
            patient: r.patient,
            at: r.at_ms,
            from: r.from_ms,
            until: r.until_ms,
          }
        : {
            seq: r.seq,
            kind: r.kind,
            type: r.res_type,
            id: r.res_id,
            version: r.version,
            lastUpdated: r.last_updated_ms,
            deviceKey: r.device_key,
            index: {
              code: r.code,
              effectiveStart: r.effective_start_ms,
              effectiveEnd: r.effective_end_ms,
              value: r.value,
              unit: r.unit,
              ref: r.ref,
              status: r.status,
            },
            resource: resource(r.json),
          },
    ),
  };
}

test('cbor: the batch object of the documented shape, in plain cbor-x maps, for any row contents (text of any length and script, any number)', () => {
  fc.assert(
    fc.property(anyHeader, fc.nat(), fc.array(anyRow, { minLength: 1, maxLength: 30 }), (h, first, specs) => {
      const rs = specs.map((r, i): OutboxRow => ({ ...r, seq: first + i + 1, created_ms: 0, sent_ms: null }));
      const expected = cborX.encode(batchObject(h, rs, (json) => json));
      assert.deepEqual(encodeBatch(h, rs, 'cbor'), expected);
    }),
    { numRuns: 500 },
  );
});

test('json: bytes identical to JSON.stringify of the batch with each resource text spliced in', () => {
  fc.assert(
    fc.property(anyHeader, fc.nat(), fc.array(anyRow, { minLength: 1, maxLength: 30 }), (h, first, specs) => {
      const rs = specs.map((r, i): OutboxRow => ({
        ...r,
        json: r.kind === 'resource' ? JSON.stringify({ resourceType: 'Device', id: String(i), r }) : null,
        seq: first + i + 1,
        created_ms: 0,
        sent_ms: null,
      }));
      const expected = JSON.stringify(batchObject(h, rs, (json) => JSON.parse(json!) as unknown));
      assert.equal(encodeBatch(h, rs, 'json').toString('utf8'), expected);
    }),
    { numRuns: 300 },
  );
});

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
  const period = {
    seq: 5,
    kind: 'assignment',
    deviceKey: 'ble:1',
    patient: 'ab',
    at: 1,
    from: 0,
    until: null,
  };
  // a version 1 assignment has no period and may name no patient (the device was unassigned)
  const v1 = {
    ...good,
    v: 1,
    entries: [{ seq: 5, kind: 'assignment', deviceKey: 'ble:1', patient: null, at: 1 }],
  };
  assert.equal(decodeBatch(cborEncode(v1)).entries.length, 1);
  assert.equal(decodeBatch(cborEncode({ ...good, entries: [period] })).entries.length, 1);
  const cases: Array<[string, unknown]> = [
    ['version', { ...good, v: 3 }],
    ['gw', { ...good, gw: 'a/b' }],
    ['range', { ...good, to: 6 }],
    ['seq', { ...good, entries: [{ ...good.entries[0], seq: 9 }] }],
    ['type', { ...good, entries: [{ ...good.entries[0], type: 'Patient' }] }],
    ['id', { ...good, entries: [{ ...good.entries[0], id: 'other' }] }],
    ['text', { ...good, entries: [{ ...good.entries[0], resource: '{"resourceType":' }] }],
    ['array', [1, 2, 3]],
    ['v2 patient', { ...good, entries: [{ ...period, patient: null }] }],
    ['v2 from', { ...good, entries: [{ ...period, from: 'yesterday' }] }],
    ['v2 until', { ...good, entries: [{ ...period, from: 10, until: 5 }] }],
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
