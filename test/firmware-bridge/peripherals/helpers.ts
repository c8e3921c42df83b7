// Test plumbing for the simulated sensors: a controller whose trace records the ATT Error Responses
// it sends (noble never resolves a write that got one), and the real noble connecting by service UUID.
import { once } from 'node:events';
import { withBindings, type Characteristic, type Noble, type Peripheral } from '@stoprocent/noble';
import { VirtualController } from '../../../firmware-bridge/hci/index.ts';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s:]/g, ''), 'hex');

export const within = <V>(p: Promise<V>, ms: number, what: string): Promise<V> =>
  Promise.race([
    p,
    new Promise<V>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref()),
  ]);

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface AttErrorSeen {
  requestOpcode: number;
  handle: number;
  code: number;
}

export interface Rig {
  controller: VirtualController;
  noble: Noble;
  /** ATT Error Responses the controller sent, in order */
  attErrors: AttErrorSeen[];
  close(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const attErrors: AttErrorSeen[] = [];
  const controller = await VirtualController.start({
    trace: (direction, packet) => {
      // H4 ACL (0x02) → handle(2) len(2) → L2CAP len(2) cid(2) → ATT opcode 0x01 = Error Response
      if (direction !== 'out' || !Buffer.isBuffer(packet) || packet[0] !== 0x02 || packet.length < 14) return;
      if (packet.readUInt16LE(7) !== 0x0004 || packet[9] !== 0x01) return;
      attErrors.push({ requestOpcode: packet[10], handle: packet.readUInt16LE(11), code: packet[13] });
    },
  });
  const noble = withBindings('hci', controller.nobleOptions());
  await noble.waitForPoweredOnAsync(5000);
  return {
    controller,
    noble,
    attErrors,
    close: async () => {
      await noble.stopScanningAsync().catch(() => undefined);
      noble.stop();
      await controller.close();
    },
  };
}

/** Scans for `serviceUuid` until the peripheral with `address` shows up. */
export async function discover(noble: Noble, serviceUuid: string, address: string): Promise<Peripheral> {
  const found = new Promise<Peripheral>((resolve) => {
    const onDiscover = (p: Peripheral) => {
      if (p.address !== address) return;
      noble.removeListener('discover', onDiscover);
      resolve(p);
    };
    noble.on('discover', onDiscover);
  });
  await noble.startScanningAsync([serviceUuid], false);
  try {
    return await within(found, 5000, `discover ${address}`);
  } finally {
    await noble.stopScanningAsync();
  }
}

export interface Link {
  peripheral: Peripheral;
  chars: Map<string, Characteristic>;
  char(uuid: string): Characteristic;
}

export async function connect(p: Peripheral): Promise<Link> {
  await p.connectAsync();
  const { characteristics } = await p.discoverAllServicesAndCharacteristicsAsync();
  const chars = new Map(characteristics.map((c) => [c.uuid, c]));
  return {
    peripheral: p,
    chars,
    char: (uuid) => {
      const c = chars.get(uuid);
      if (!c) throw new Error(`no characteristic ${uuid}`);
      return c;
    },
  };
}

/** Everything a characteristic delivers, tagged, into one ordered list shared across characteristics. */
export function record(events: string[], c: Characteristic, tag = c.uuid): Buffer[] {
  const got: Buffer[] = [];
  c.on('data', (d: Buffer) => {
    got.push(d);
    events.push(`${tag}:${d.toString('hex')}`);
  });
  return got;
}

/** Writes a control-point request and resolves with the next indication on it. */
export async function request(c: Characteristic, bytes: Buffer, ms = 5000): Promise<Buffer> {
  const next = once(c, 'data') as Promise<[Buffer, boolean]>;
  await c.writeAsync(bytes, false);
  const [data] = await within(next, ms, `indication after ${bytes.toString('hex')}`);
  return data;
}

/** Waits until `cond()` holds, polling. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await delay(5);
  }
}

export function u16(n: number): string {
  return Buffer.from([n & 0xff, n >> 8]).toString('hex');
}
