// A simulator's GATT database (the one the virtual controller's ATT server answers from) as bleno services: every
// read and write goes to the same characteristic handlers, so the GATT behaviour (RACP, SOCP, CRC, faults) exists
// once, whichever stack serves it. bleno keeps its own GAP (0x1800) and GATT (0x1801) services; ours are skipped.
import type { Bleno, Characteristic, PrimaryService, UpdateValueCallback } from '@stoprocent/bleno';
import {
  AttError,
  hasProperty,
  type CharacteristicProperty,
  type CharacteristicRecord,
  type GattDatabase,
} from '../hci/index.ts';
import { parseUuid } from '../hci/uuid.ts';

const GAP_SERVICE = 0x1800;

/** What the translated characteristics report to the adapter. */
export interface BlenoGattEvents {
  /** true while requests are to go unanswered (the `unresponsive` fault) */
  unresponsive(): boolean;
  subscribed(char: CharacteristicRecord, connection: number, update: UpdateValueCallback | null): void;
  /** an indication of `char` was confirmed */
  confirmed(char: CharacteristicRecord, connection: number): void;
}

/** bleno's UUID spelling: 4 or 32 lower-case hex digits, most significant first. */
export function blenoUuid(bytes: Buffer): string {
  return Buffer.from(bytes).reverse().toString('hex');
}

// bleno has no 'broadcast'
const BLENO_PROPERTIES: readonly CharacteristicProperty[] = [
  'read',
  'writeWithoutResponse',
  'write',
  'notify',
  'indicate',
];

/**
 * Requests are served strictly in order, as the virtual controller's ATT server does. A handler that throws is
 * answered with ATT "unlikely error" (0x0E): nothing escapes into bleno's event loop.
 */
class RequestQueue {
  private tail: Promise<void> = Promise.resolve();

  run(job: () => Promise<void>, fail: (code: number) => void): void {
    const safe = () => job().catch(() => fail(AttError.unlikelyError));
    this.tail = this.tail.then(safe);
  }
}

function characteristic(
  b: Bleno,
  rec: CharacteristicRecord,
  events: BlenoGattEvents,
  queue: RequestQueue,
): Characteristic {
  const { Characteristic: BlenoCharacteristic, Descriptor } = b;
  return new BlenoCharacteristic({
    uuid: blenoUuid(rec.uuid.bytes),
    properties: BLENO_PROPERTIES.filter((p) => hasProperty(rec, p)) as Characteristic['properties'],
    descriptors: (rec.def.descriptors ?? []).map(
      (d) => new Descriptor({ uuid: blenoUuid(parseUuid(d.uuid).bytes), value: Buffer.from(d.value) }),
    ),
    onReadRequest: (connection, offset, callback) => {
      if (events.unresponsive()) return; // hung firmware: the request stays unanswered
      queue.run(async () => {
        const r = rec.def.onRead
          ? await rec.def.onRead({ connectionHandle: Number(connection), offset })
          : rec.value;
        if (typeof r === 'number') return callback(r);
        const value = Buffer.from(r);
        if (offset > value.length) return callback(AttError.invalidOffset);
        callback(0, value.subarray(offset));
      }, callback);
    },
    onWriteRequest: (connection, data, _offset, withoutResponse, callback) => {
      if (events.unresponsive()) return;
      queue.run(async () => {
        let r: number | void = undefined;
        if (rec.def.onWrite) {
          r = await rec.def.onWrite(Buffer.from(data), {
            connectionHandle: Number(connection),
            withResponse: !withoutResponse,
          });
        } else rec.value = Buffer.from(data);
        callback(typeof r === 'number' ? r : 0);
      }, callback);
    },
    onSubscribe: (connection, _max, update) => events.subscribed(rec, Number(connection), update),
    onUnsubscribe: (connection) => events.subscribed(rec, Number(connection), null),
    onIndicate: (connection) => events.confirmed(rec, Number(connection)),
  });
}

/** bleno PrimaryServices for every service of `db` except GAP; handler errors become ATT "unlikely error". */
export function blenoServices(b: Bleno, db: GattDatabase, events: BlenoGattEvents): PrimaryService[] {
  const queue = new RequestQueue();
  const out: PrimaryService[] = [];
  for (const s of db.services) {
    if (s.uuid.bytes.length === 2 && s.uuid.bytes.readUInt16LE(0) === GAP_SERVICE) continue;
    const chars = db.characteristics.filter((c) => c.declHandle > s.start && c.declHandle <= s.end);
    out.push(
      new b.PrimaryService({
        uuid: blenoUuid(s.uuid.bytes),
        characteristics: chars.map((c) => characteristic(b, c, events, queue)),
      }),
    );
  }
  return out;
}
