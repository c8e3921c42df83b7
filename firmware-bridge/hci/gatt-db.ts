// The attribute table of one virtual peripheral: services, characteristics and descriptors laid out in
// handles the way a GATT server does (declaration, value, CCCD, other descriptors).
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { parseUuid, uuid16, type Uuid } from './uuid.ts';

export type CharacteristicProperty =
  'broadcast' | 'read' | 'writeWithoutResponse' | 'write' | 'notify' | 'indicate';

const PROPERTY_BITS: Record<CharacteristicProperty, number> = {
  broadcast: 0x01,
  read: 0x02,
  writeWithoutResponse: 0x04,
  write: 0x08,
  notify: 0x10,
  indicate: 0x20,
};

export interface ReadContext {
  /** HCI connection handle of the central reading */
  connectionHandle: number;
  /** byte offset (Read Blob); the handler may ignore it, the server slices the full value */
  offset: number;
}

export interface WriteContext {
  connectionHandle: number;
  /** true for Write Request / Execute Write, false for Write Command */
  withResponse: boolean;
}

/** A handler returns the value, or an ATT error code (number) to refuse. */
export type ReadResult = Uint8Array | number;
/** A handler returns nothing to accept, or an ATT error code to refuse (ignored for Write Command). */
export type WriteResult = number | void;

export interface DescriptorDefinition {
  uuid: string | number;
  value: Uint8Array;
  writable?: boolean;
}

export interface CharacteristicDefinition {
  uuid: string | number;
  properties: readonly CharacteristicProperty[];
  /** static value served when there is no onRead */
  value?: Uint8Array;
  onRead?: (ctx: ReadContext) => ReadResult | Promise<ReadResult>;
  onWrite?: (data: Buffer, ctx: WriteContext) => WriteResult | Promise<WriteResult>;
  descriptors?: readonly DescriptorDefinition[];
}

export interface ServiceDefinition {
  uuid: string | number;
  characteristics: readonly CharacteristicDefinition[];
}

export const GattUuid = {
  primaryService: 0x2800,
  secondaryService: 0x2801,
  include: 0x2802,
  characteristic: 0x2803,
  cccd: 0x2902,
  gapService: 0x1800,
  deviceName: 0x2a00,
  appearance: 0x2a01,
} as const;

export interface CharacteristicRecord {
  def: CharacteristicDefinition;
  uuid: Uuid;
  properties: number;
  declHandle: number;
  valueHandle: number;
  cccdHandle: number | null;
  endHandle: number;
  /** current static value (def.value, replaced by setValue) */
  value: Buffer;
}

export interface ServiceRecord {
  uuid: Uuid;
  start: number;
  end: number;
}

export type Attribute =
  | { handle: number; type: Uuid; kind: 'service'; value: Buffer; service: ServiceRecord }
  | { handle: number; type: Uuid; kind: 'charDecl'; value: Buffer; char: CharacteristicRecord }
  | { handle: number; type: Uuid; kind: 'charValue'; char: CharacteristicRecord }
  | { handle: number; type: Uuid; kind: 'cccd'; char: CharacteristicRecord }
  | { handle: number; type: Uuid; kind: 'descriptor'; value: Buffer; writable: boolean };

export interface GapOptions {
  name?: string;
  appearance?: number;
}

export class GattDatabase {
  readonly attributes: Attribute[] = [];
  readonly services: ServiceRecord[] = [];
  readonly characteristics: CharacteristicRecord[] = [];
  private readonly byKey = new Map<string, CharacteristicRecord[]>();

  constructor(services: readonly ServiceDefinition[], gap?: GapOptions | false) {
    const all: ServiceDefinition[] = [];
    if (gap !== false) {
      const nameBytes = Buffer.from(gap?.name ?? '', 'utf8');
      const appearance = Buffer.alloc(2);
      appearance.writeUInt16LE(gap?.appearance ?? 0, 0);
      all.push({
        uuid: GattUuid.gapService,
        characteristics: [
          { uuid: GattUuid.deviceName, properties: ['read'], value: nameBytes },
          { uuid: GattUuid.appearance, properties: ['read'], value: appearance },
        ],
      });
    }
    all.push(...services);
    for (const s of all) this.addService(s);
  }

  private addService(def: ServiceDefinition): void {
    const uuid = parseUuid(def.uuid);
    const service: ServiceRecord = { uuid, start: this.nextHandle(), end: 0 };
    this.attributes.push({
      handle: service.start,
      type: uuid16(GattUuid.primaryService),
      kind: 'service',
      value: uuid.bytes,
      service,
    });
    for (const c of def.characteristics) this.addCharacteristic(c);
    service.end = this.nextHandle() - 1;
    this.services.push(service);
  }

  private addCharacteristic(def: CharacteristicDefinition): void {
    let properties = 0;
    for (const p of def.properties) {
      const bit = PROPERTY_BITS[p];
      if (bit === undefined)
        throw new CodecError('ERR_INVALID_ARGUMENT', `unknown characteristic property "${p}"`);
      properties |= bit;
    }
    const uuid = parseUuid(def.uuid);
    const declHandle = this.nextHandle();
    const valueHandle = declHandle + 1;
    const hasCccd = (properties & (PROPERTY_BITS.notify | PROPERTY_BITS.indicate)) !== 0;
    const char: CharacteristicRecord = {
      def,
      uuid,
      properties,
      declHandle,
      valueHandle,
      cccdHandle: hasCccd ? valueHandle + 1 : null,
      endHandle: 0,
      value: Buffer.from(def.value ?? []),
    };
    const declValue = Buffer.alloc(3 + uuid.bytes.length);
    declValue[0] = properties;
    declValue.writeUInt16LE(valueHandle, 1);
    uuid.bytes.copy(declValue, 3);
    this.attributes.push({
      handle: declHandle,
      type: uuid16(GattUuid.characteristic),
      kind: 'charDecl',
      value: declValue,
      char,
    });
    this.attributes.push({ handle: valueHandle, type: uuid, kind: 'charValue', char });
    if (hasCccd)
      this.attributes.push({ handle: valueHandle + 1, type: uuid16(GattUuid.cccd), kind: 'cccd', char });
    for (const d of def.descriptors ?? []) {
      const type = parseUuid(d.uuid);
      if (type.key === uuid16(GattUuid.cccd).key) {
        throw new CodecError('ERR_INVALID_ARGUMENT', 'the CCCD is added automatically for notify/indicate');
      }
      this.attributes.push({
        handle: this.nextHandle(),
        type,
        kind: 'descriptor',
        value: Buffer.from(d.value),
        writable: d.writable === true,
      });
    }
    char.endHandle = this.nextHandle() - 1;
    this.characteristics.push(char);
    const list = this.byKey.get(uuid.key) ?? [];
    list.push(char);
    this.byKey.set(uuid.key, list);
  }

  private nextHandle(): number {
    const last = this.attributes[this.attributes.length - 1];
    const next = last ? last.handle + 1 : 1;
    if (next > 0xffff) throw new CodecError('ERR_OUT_OF_RANGE', 'attribute table exceeds 0xFFFF handles');
    return next;
  }

  /** Attributes are stored densely from handle 1, so the lookup is an index. */
  get(handle: number): Attribute | undefined {
    const a = this.attributes[handle - 1];
    return a && a.handle === handle ? a : undefined;
  }

  /** The characteristic with this UUID (the first one if several services reuse it). */
  characteristic(uuid: string | number): CharacteristicRecord {
    const found = this.byKey.get(parseUuid(uuid).key);
    if (!found || found.length === 0) {
      throw new CodecError('ERR_INVALID_ARGUMENT', `no characteristic ${String(uuid)} in this GATT database`);
    }
    return found[0];
  }

  get lastHandle(): number {
    return this.attributes.length;
  }
}

export const hasProperty = (char: CharacteristicRecord, p: CharacteristicProperty): boolean =>
  (char.properties & PROPERTY_BITS[p]) !== 0;
