import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeH4 } from '../../../firmware-bridge/hci/h4.ts';
import { Cid, L2capReassembler, encodeL2cap, fragmentL2cap } from '../../../firmware-bridge/hci/l2cap.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('a short frame is one ACL packet with PB=10 (noble drops controller start fragments with PB=00)', () => {
  const acl = fragmentL2cap(0x40, Cid.att, hex('03 17 00'), 27);
  assert.deepEqual(acl, [hex('02 40 20 07 00 03 00 04 00 03 17 00')]);
});

test('a long frame is split into continuation fragments (PB=01)', () => {
  const acl = fragmentL2cap(0x41, Cid.att, Buffer.alloc(30, 0xab), 27);
  assert.equal(acl.length, 2);
  assert.equal(acl[0].readUInt16LE(1), 0x2041);
  assert.equal(acl[0].readUInt16LE(3), 27);
  assert.equal(acl[1].readUInt16LE(1), 0x1041);
  assert.equal(acl[1].readUInt16LE(3), 7);
});

test('reassembles noble-style fragments (first non-flushable, then continuations)', () => {
  const r = new L2capReassembler();
  const frame = encodeL2cap(Cid.att, Buffer.alloc(40, 1));
  assert.deepEqual(r.push(0, frame.subarray(0, 27)), []);
  assert.deepEqual(r.push(1, frame.subarray(27)), [{ cid: Cid.att, payload: Buffer.alloc(40, 1) }]);
});

test('a continuation without a start is dropped and counted', () => {
  const r = new L2capReassembler();
  assert.deepEqual(r.push(1, hex('01 02')), []);
  assert.equal(r.dropped, 1);
});

test('the basic header itself may be split across fragments', () => {
  const r = new L2capReassembler();
  const frame = encodeL2cap(Cid.smp, hex('01 03 00 01 10 00 01'));
  assert.deepEqual(r.push(2, frame.subarray(0, 3)), []);
  assert.deepEqual(r.push(1, frame.subarray(3)), [{ cid: Cid.smp, payload: hex('01 03 00 01 10 00 01') }]);
});

test('property: fragment then reassemble returns every frame, whatever the fragment size', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ cid: fc.integer({ min: 0, max: 0xffff }), payload: fc.uint8Array({ maxLength: 700 }) }),
        { maxLength: 6 },
      ),
      fc.integer({ min: 1, max: 300 }),
      (frames, size) => {
        const r = new L2capReassembler();
        const out = [];
        for (const f of frames) {
          for (const acl of fragmentL2cap(0x40, f.cid, f.payload, size)) {
            const p = decodeH4(acl);
            assert.ok(p.type === 'acl');
            out.push(...r.push(p.pb, p.data));
          }
        }
        assert.deepEqual(
          out,
          frames.map((f) => ({ cid: f.cid, payload: Buffer.from(f.payload) })),
        );
        assert.equal(r.dropped, 0);
      },
    ),
  );
});

test('fuzz: arbitrary fragments never crash the reassembler', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ pb: fc.integer({ min: 0, max: 3 }), data: fc.uint8Array({ maxLength: 40 }) })),
      (frags) => {
        const r = new L2capReassembler();
        for (const f of frags) {
          for (const frame of r.push(f.pb, f.data)) assert.ok(frame.payload.length <= 0xffff);
        }
      },
    ),
  );
});
