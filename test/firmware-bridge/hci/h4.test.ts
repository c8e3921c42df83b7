import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import {
  H4Parser,
  decodeH4,
  encodeAcl,
  encodeCommand,
  encodeEvent,
  encodeH4,
  h4PacketSize,
  type H4Packet,
} from '../../../firmware-bridge/hci/h4.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('encodes the packets of the verified reply table (spec E.7)', () => {
  assert.deepEqual(encodeCommand(0x0c03), hex('01 03 0C 00'));
  assert.deepEqual(encodeEvent(0x0e, hex('01 03 0C 00')), hex('04 0E 04 01 03 0C 00'));
  assert.deepEqual(
    encodeAcl(0x0040, 2, hex('03 00 04 00 02 00 01')),
    hex('02 40 20 07 00 03 00 04 00 02 00 01'),
  );
  assert.deepEqual(encodeAcl(0x0040, 1, hex('AA')), hex('02 40 10 01 00 AA'));
});

test('decodes a command, an event and an ACL packet', () => {
  assert.deepEqual(decodeH4(hex('01 01 0C 08 FF FF FB FF 07 F8 BF 3D')), {
    type: 'command',
    opcode: 0x0c01,
    params: hex('FF FF FB FF 07 F8 BF 3D'),
  });
  assert.deepEqual(decodeH4(hex('04 13 05 01 40 00 01 00')), {
    type: 'event',
    code: 0x13,
    params: hex('01 40 00 01 00'),
  });
  assert.deepEqual(decodeH4(hex('02 40 00 03 00 AA BB CC')), {
    type: 'acl',
    handle: 0x40,
    pb: 0,
    bc: 0,
    data: hex('AA BB CC'),
  });
});

test('decodeH4 names what is wrong with a bad packet', () => {
  assert.throws(() => decodeH4(hex('04 0E')), { name: 'CodecError', code: 'ERR_TOO_SHORT' });
  assert.throws(() => decodeH4(hex('03 00 00')), { name: 'CodecError', code: 'ERR_UNKNOWN_OPCODE' });
  assert.throws(() => decodeH4(hex('04 0E 04 01 03 0C')), {
    name: 'CodecError',
    code: 'ERR_LENGTH_MISMATCH',
  });
  assert.throws(() => encodeAcl(0x1000, 0, hex('00')), { name: 'CodecError', code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => encodeEvent(0x0e, Buffer.alloc(256)), { name: 'CodecError', code: 'ERR_TOO_LONG' });
});

test('h4PacketSize: 0 while the header is incomplete, -1 for an unknown indicator', () => {
  assert.equal(h4PacketSize(hex('')), 0);
  assert.equal(h4PacketSize(hex('02 40 00 03')), 0);
  assert.equal(h4PacketSize(hex('02 40 00 03 00')), 8);
  assert.equal(h4PacketSize(hex('05')), -1);
});

test('the parser reassembles packets split anywhere and skips garbage between packets', () => {
  const p = new H4Parser();
  const stream = Buffer.concat([
    hex('01 03 0C'),
    hex('00 FF 04 0E 04 01'),
    hex('03 0C 00 02 40 20 01 00 7F'),
  ]);
  const out: H4Packet[] = [];
  for (const b of stream) out.push(...p.push(Buffer.from([b])));
  assert.equal(out.length, 3);
  assert.deepEqual(
    out.map((x) => x.type),
    ['command', 'event', 'acl'],
  );
  assert.equal(p.discarded, 1);
  assert.equal(p.buffered, 0);
});

const packetArb: fc.Arbitrary<H4Packet> = fc
  .oneof(
    fc.record({
      type: fc.constant('command' as const),
      opcode: fc.integer({ min: 0, max: 0xffff }),
      params: fc.uint8Array({ maxLength: 255 }).map((a) => Buffer.from(a)),
    }),
    fc.record({
      type: fc.constant('event' as const),
      code: fc.integer({ min: 0, max: 0xff }),
      params: fc.uint8Array({ maxLength: 255 }).map((a) => Buffer.from(a)),
    }),
    fc.record({
      type: fc.constant('acl' as const),
      handle: fc.integer({ min: 0, max: 0x0eff }),
      pb: fc.integer({ min: 0, max: 3 }),
      bc: fc.integer({ min: 0, max: 3 }),
      data: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
    }),
  )
  .map((p) => ({ ...p }) as H4Packet); // fc.record builds null-prototype objects

test('property: encode then decode returns the packet', () => {
  fc.assert(
    fc.property(packetArb, (pkt) => {
      assert.deepEqual(decodeH4(encodeH4(pkt)), pkt);
    }),
  );
});

test('property: the parser yields the same packets however the stream is cut', () => {
  fc.assert(
    fc.property(
      fc.array(packetArb, { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 64 })),
      (pkts, cuts) => {
        const stream = Buffer.concat(pkts.map(encodeH4));
        const p = new H4Parser();
        const out: H4Packet[] = [];
        let pos = 0;
        let i = 0;
        while (pos < stream.length) {
          const n = cuts.length ? cuts[i++ % cuts.length] : stream.length;
          out.push(...p.push(stream.subarray(pos, pos + n)));
          pos += n;
        }
        assert.deepEqual(out, pkts);
        assert.equal(p.buffered, 0);
        assert.equal(p.discarded, 0);
      },
    ),
  );
});

test('fuzz: arbitrary bytes never crash the parser or decodeH4 (CodecError only)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 10 }), (chunks) => {
      const p = new H4Parser();
      for (const c of chunks) {
        for (const pkt of p.push(c)) assert.ok(['command', 'event', 'acl'].includes(pkt.type));
        try {
          decodeH4(c);
        } catch (e) {
          assert.ok(e instanceof CodecError);
        }
      }
    }),
  );
});
