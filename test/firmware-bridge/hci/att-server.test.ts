import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { decodeAttPdu } from '../../../firmware-bridge/hci/att.ts';
import { AttServer } from '../../../firmware-bridge/hci/att-server.ts';
import { GattDatabase, type ServiceDefinition } from '../../../firmware-bridge/hci/gatt-db.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const eqHex = (actual: string, expected: string, msg?: string): void =>
  assert.equal(actual, expected.replace(/\s/g, ''), msg);
const HEART_128 = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';

function setup(services: ServiceDefinition[], serverMtu = 247, gap = false as const) {
  const db = new GattDatabase(services, gap);
  const sent: Buffer[] = [];
  const server = new AttServer(db, 0x40, serverMtu, (pdu) => sent.push(pdu));
  const ask = (req: string | Buffer): string => {
    sent.length = 0;
    server.receive(typeof req === 'string' ? hex(req) : req);
    assert.equal(sent.length, 1, `one response to ${typeof req === 'string' ? req : req.toString('hex')}`);
    return sent[0].toString('hex');
  };
  return { db, server, sent, ask };
}

const writes: { data: string; withResponse: boolean }[] = [];
const cgm: ServiceDefinition[] = [
  {
    uuid: '181f',
    characteristics: [
      { uuid: '2aa8', properties: ['read'], value: hex('6e9e0116ffff') },
      { uuid: '2aa7', properties: ['notify'] },
      {
        uuid: '2a52',
        properties: ['write', 'indicate'],
        onWrite: (d, ctx) => {
          writes.push({ data: d.toString('hex'), withResponse: ctx.withResponse });
          return d[0] === 0xff ? 0x80 : undefined;
        },
      },
      { uuid: '2aac', properties: ['writeWithoutResponse', 'read'], onRead: () => Buffer.alloc(300, 7) },
    ],
  },
  {
    uuid: HEART_128,
    characteristics: [{ uuid: '6e400002-b5a3-f393-e0a9-e50e24dcca9e', properties: ['read'] }],
  },
];

test('handle layout: service, declaration, value, CCCD after notify/indicate values', () => {
  const { db } = setup(cgm);
  assert.deepEqual(
    db.attributes.map((a) => `${a.handle}:${a.kind}`),
    [
      '1:service',
      '2:charDecl',
      '3:charValue',
      '4:charDecl',
      '5:charValue',
      '6:cccd',
      '7:charDecl',
      '8:charValue',
      '9:cccd',
      '10:charDecl',
      '11:charValue',
      '12:service',
      '13:charDecl',
      '14:charValue',
    ],
  );
  assert.deepEqual(
    db.services.map((s) => [s.start, s.end]),
    [
      [1, 11],
      [12, 14],
    ],
  );
});

test('Exchange MTU answers the server MTU and adopts min(client, server)', () => {
  const { server, ask } = setup(cgm, 185);
  eqHex(ask('02 00 01'), '03b900');
  assert.equal(server.mtu, 185);
  eqHex(ask('02 40 00'), '03b900');
  assert.equal(server.mtu, 64);
});

test('primary service discovery: 16-bit group, then 128-bit group, then Attribute Not Found', () => {
  const { ask } = setup(cgm);
  ask('02 00 01');
  eqHex(ask('10 0100 ffff 0028'), '1106 0100 0b00 1f18');
  eqHex(ask('10 0c00 ffff 0028'), '1114 0c00 0e00 9ecadc240ee5a9e093f3a3b50100406e');
  eqHex(ask('10 0f00 ffff 0028'), '01100f000a');
  eqHex(ask('10 0100 ffff 0128'), '011001000a', 'no secondary services');
  eqHex(ask('10 0100 ffff 0329'), '0110010010', 'unsupported group type');
  eqHex(ask('10 0500 0100 0028'), '0110050001', 'start > end is an invalid handle');
});

test('characteristic discovery by Read By Type 0x2803, split by the 23-byte default MTU', () => {
  const { ask } = setup(cgm);
  // 3 entries of 7 bytes fit in 23 - 2 = 21 bytes
  eqHex(ask('08 0100 0b00 0328'), '0907' + '0200 02 0300 a82a' + '0400 10 0500 a72a' + '0700 28 0800 522a');
  eqHex(ask('08 0900 0b00 0328'), '0907' + '0a00 06 0b00 ac2a');
  assert.equal(ask('08 0c00 ffff 0328').slice(0, 4), '0915', '128-bit characteristic entries are 21 bytes');
  eqHex(ask('08 0300 0300 0328'), '010803000a', 'none in range');
});

test('CCCD lookup, subscribe by writing it, and notifications only when enabled', () => {
  const { server, db, ask, sent } = setup(cgm);
  const meas = db.characteristic('2aa7');
  assert.equal(server.notify(meas, hex('01')), false);
  eqHex(ask('08 0400 0600 0229'), '0904' + '0600 0000');
  const subs: unknown[] = [];
  server.on('subscribe', (c, s) => subs.push([c.uuid.key, s]));
  eqHex(ask('12 0600 0100'), '13');
  assert.deepEqual(subs, [['2aa7', { notify: true, indicate: false }]]);
  eqHex(ask('0a 0600'), '0b0100');
  sent.length = 0;
  assert.equal(server.notify(meas, hex('0a0b')), true);
  assert.deepEqual(sent, [hex('1b 0500 0a0b')]);
  eqHex(ask('12 0600 0200'), '01120600fd', 'indicate bit on a notify-only characteristic');
  eqHex(ask('12 0600 01'), '011206000d', 'CCCD value must be 2 bytes');
  assert.throws(() => server.notify(meas, Buffer.alloc(21)), { name: 'CodecError', code: 'ERR_TOO_LONG' });
});

test('descriptor discovery with Find Information', () => {
  const { ask } = setup(cgm);
  eqHex(ask('04 0600 0600'), '0501' + '0600 0229');
  eqHex(ask('04 0100 0300'), '0501' + '0100 0028' + '0200 0328' + '0300 a82a');
  eqHex(ask('04 0f00 ffff'), '0104' + '0f00 0a');
  assert.equal(
    ask('04 0d00 0e00').slice(0, 4),
    '0501',
    '16-bit declaration first; the 128-bit value is not mixed in',
  );
});

test('Read, Read Blob of a long value, and read errors', () => {
  const { ask } = setup(cgm);
  eqHex(ask('0a 0300'), '0b6e9e0116ffff');
  eqHex(ask('0a 0b00'), '0b' + '07'.repeat(22), 'a read returns MTU-1 bytes');
  eqHex(ask('0c 0b00 1600'), '0d' + '07'.repeat(22));
  eqHex(ask('0c 0b00 2c01'), '0d', 'offset == length gives an empty part');
  eqHex(ask('0c 0b00 2d01'), '010c0b0007', 'offset beyond the value');
  eqHex(ask('0a 0500'), '010a050002', 'notify-only value is not readable');
  eqHex(ask('0a 9900'), '010a990001', 'unknown handle');
});

test('Write Request, Write Command, and an application error from onWrite', () => {
  writes.length = 0;
  const { ask, server, sent } = setup(cgm);
  eqHex(ask('12 0800 0101'), '13');
  eqHex(ask('12 0800 ff'), '0112080080');
  eqHex(ask('12 0300 00'), '0112030003', 'read-only characteristic');
  sent.length = 0;
  server.receive(hex('52 0b00 0203'));
  server.receive(hex('52 0300 00'));
  assert.deepEqual(sent, [], 'commands are never answered');
  assert.deepEqual(writes, [
    { data: '0101', withResponse: true },
    { data: 'ff', withResponse: true },
  ]);
});

test('prepared writes are joined and delivered on execute', () => {
  writes.length = 0;
  const { ask } = setup(cgm);
  eqHex(ask('16 0800 0000 0102'), '1708000000' + '0102');
  eqHex(ask('16 0800 0200 0304'), '1708000200' + '0304');
  eqHex(ask('18 01'), '19');
  assert.deepEqual(writes, [{ data: '01020304', withResponse: true }]);
  eqHex(ask('16 0800 0000 09'), '170800000009');
  eqHex(ask('18 00'), '19', 'cancel');
  assert.equal(writes.length, 1);
});

test('indications: one in flight, the next after the confirmation, rejected on close', async () => {
  const { server, db, ask, sent } = setup(cgm);
  const racp = db.characteristic('2a52');
  await assert.rejects(server.indicate(racp, hex('01')), /not enabled indications/);
  eqHex(ask('12 0900 0200'), '13');
  sent.length = 0;
  const order: string[] = [];
  const a = server.indicate(racp, hex('0a')).then(() => order.push('a'));
  const b = server.indicate(racp, hex('0b')).then(() => order.push('b'));
  assert.deepEqual(sent, [hex('1d 0800 0a')]);
  server.receive(hex('1e'));
  await a;
  assert.deepEqual(sent, [hex('1d 0800 0a'), hex('1d 0800 0b')]);
  server.receive(hex('1e'));
  await b;
  assert.deepEqual(order, ['a', 'b']);
  const c = server.indicate(racp, hex('0c'));
  server.close('test');
  await assert.rejects(c, /link closed/);
});

test('unknown requests get Request Not Supported, malformed ones Invalid PDU, unknown commands nothing', () => {
  const { ask, server, sent } = setup(cgm);
  eqHex(ask('20 0100'), '0120000006');
  eqHex(ask('0a 01'), '010a000004');
  sent.length = 0;
  server.receive(hex('7f 01'));
  assert.equal(sent.length, 0);
});

test('an unresponsive server swallows requests; async handlers keep request order', async () => {
  const slow: ServiceDefinition[] = [
    {
      uuid: '1808',
      characteristics: [
        {
          uuid: '2a18',
          properties: ['read'],
          onRead: () => new Promise((r) => setTimeout(() => r(hex('aa')), 20)),
        },
        { uuid: '2a51', properties: ['read'], value: hex('bb') },
      ],
    },
  ];
  const { server, sent } = setup(slow);
  server.receive(hex('0a 0300'));
  server.receive(hex('0a 0500'));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sent, [hex('0b aa'), hex('0b bb')]);
  sent.length = 0;
  server.unresponsive = true;
  server.receive(hex('0a 0500'));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(sent, []);
});

test('fuzz: every request PDU gets exactly one response; decodeAttPdu throws CodecError only', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 30 }),
      fc.integer({ min: 23, max: 517 }),
      (pdu, mtu) => {
        const { server, sent } = setup(cgm, mtu);
        try {
          decodeAttPdu(pdu);
        } catch (e) {
          assert.ok(e instanceof CodecError);
        }
        server.receive(Buffer.from(pdu));
        const op = pdu[0];
        const isRequest = (op & 0x40) === 0 && op % 2 === 0 && op !== 0x1e;
        assert.equal(sent.length, isRequest ? 1 : 0, `opcode 0x${op.toString(16)}`);
        for (const r of sent) assert.ok(r.length <= Math.max(mtu, 23));
      },
    ),
  );
});

test('GAP service comes first with the device name', () => {
  const db = new GattDatabase(cgm, { name: 'Virt CGM', appearance: 0x0d40 });
  assert.equal(db.services[0].uuid.key, '1800');
  assert.equal(db.characteristic('2a00').value.toString(), 'Virt CGM');
  assert.deepEqual(db.characteristic('2a01').value, hex('400d'));
  assert.throws(() => db.characteristic('2a99'), { name: 'CodecError', code: 'ERR_INVALID_ARGUMENT' });
});
