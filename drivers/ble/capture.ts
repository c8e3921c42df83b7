// `hddt-gateway ble capture`: records a real glucose meter or CGM over the gateway's own BLE transport, so a user
// with a new meter can send one file that the simulator replays (capture-file.ts, and
// firmware-bridge/peripherals/capture-scenario.ts). Finds the device (by address, or the first advertiser of
// 0x1808/0x181F), connects and discovers everything, subscribes to the family's notifying characteristics
// (measurement, context, RACP, SOCP), reads every readable characteristic (Device Information, features, clocks),
// asks RACP for the number of stored records and then for all of them, and listens for live values. It writes
// nothing but those two RACP requests: no clock is set, no record deleted, no session started.
import { zoneOffsetMs } from '../serial/local-time.ts';
import { CAPTURE_FORMAT, CaptureError, type BleCapture, type CaptureCharacteristic } from './capture-file.ts';
import { RecordingLink, type DiscoveredCharacteristic } from './capture-link.ts';
import { RacpClient } from './racp-client.ts';
import type { Advertisement, BleRadio, GattLink } from './transport.ts';
import { CHAR, SERVICE } from './uuids.ts';

export interface AdvertisementDetails {
  addressType: string | null;
  name: string | null;
  manufacturerData: Buffer | null;
  serviceData: { uuid: string; data: Buffer }[];
  txPowerLevel: number | null;
}

/** What the stack knows beyond the transport seam (capture-noble.ts for noble). */
export interface CaptureInspector {
  advertisement(id: string): AdvertisementDetails;
  /** every characteristic discovered on the connected device */
  characteristics(id: string): DiscoveredCharacteristic[];
  mtu(id: string): number | null;
}

export interface CaptureOptions {
  /** lower-case colon form; absent = the first advertiser of 0x1808 or 0x181F */
  address?: string;
  scanSeconds: number;
  /** how long to listen for live values after the RACP transfer */
  listenSeconds: number;
  /** the hub's zone (config `timezone`) */
  timeZone: string;
  connectTimeoutMs: number;
  racpTimeoutMs: number;
  /** wait after subscribing and between RACP requests (meters that drop early requests); default 600 */
  settleMs?: number;
  powerOnTimeoutMs?: number;
  /** one line per step, for the operator */
  progress?(line: string): void;
  /** the live listening has begun */
  onListening?(): void;
}

type Family = 'glucose' | 'cgm';

const familyService = (f: Family) => (f === 'glucose' ? SERVICE.glucose : SERVICE.cgm);

function familyOf(serviceUuids: readonly string[]): Family | null {
  if (serviceUuids.includes(SERVICE.cgm)) return 'cgm';
  if (serviceUuids.includes(SERVICE.glucose)) return 'glucose';
  return null;
}

const sleep = (ms: number, cut?: Promise<unknown>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    void cut?.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Scans (restarting each second, as `pair scan` does) until the wanted device advertises. */
async function findDevice(radio: BleRadio, o: CaptureOptions): Promise<Advertisement> {
  const hit: { adv?: Advertisement } = {};
  let seen!: () => void;
  const found = new Promise<void>((resolve) => (seen = resolve));
  radio.onDiscover((adv) => {
    if (hit.adv || !adv.connectable) return;
    if (o.address ? adv.address !== o.address : familyOf(adv.serviceUuids) === null) return;
    hit.adv = adv;
    seen();
  });
  await radio.powerOn(o.powerOnTimeoutMs ?? 15_000);
  const until = Date.now() + o.scanSeconds * 1000;
  // by address: any advertisement (some meters advertise their service only in the scan response, or not at all)
  const services = o.address ? [] : [SERVICE.glucose, SERVICE.cgm];
  try {
    while (!hit.adv && Date.now() < until) {
      await radio.startScanning(services);
      await sleep(Math.min(1000, until - Date.now()), found);
    }
  } finally {
    await radio.stopScanning();
  }
  if (hit.adv) return hit.adv;
  throw new CaptureError(
    o.address
      ? `no connectable device ${o.address} advertised within ${o.scanSeconds} s (is it awake, in range, not connected to a phone?)`
      : `no glucose meter (0x1808) or CGM (0x181F) advertised within ${o.scanSeconds} s (wake the meter, e.g. start a transfer on it)`,
  );
}

/** Subscribes to every notifying characteristic of the family's service but RACP (the RACP client's own). */
async function subscribeAll(
  link: GattLink,
  inventory: readonly DiscoveredCharacteristic[],
  family: Family,
  onValue: () => void,
  notes: string[],
): Promise<void> {
  for (const c of inventory) {
    if (c.service !== familyService(family) || c.characteristic === CHAR.racp) continue;
    if (!c.properties.includes('notify') && !c.properties.includes('indicate')) continue;
    try {
      await link.subscribe(c.service, c.characteristic, onValue);
    } catch (err) {
      notes.push(`subscribe ${c.service}/${c.characteristic}: ${reason(err)}`);
    }
  }
}

/** Reads every readable characteristic; the inventory with the values (or why not). */
async function readAll(
  link: GattLink,
  inventory: readonly DiscoveredCharacteristic[],
): Promise<CaptureCharacteristic[]> {
  const gatt: CaptureCharacteristic[] = [];
  for (const c of inventory) {
    const entry: CaptureCharacteristic = { ...c, properties: [...c.properties] };
    gatt.push(entry);
    if (!c.properties.includes('read') || !link.connected) continue;
    try {
      entry.value = (await link.read(c.service, c.characteristic)).toString('hex');
    } catch (err) {
      entry.error = reason(err);
    }
  }
  return gatt;
}

/** Number of stored records, then all records; a silent RACP is noted (it may want a bond), not retried. */
async function askRacp(
  racp: RacpClient,
  o: CaptureOptions,
  notes: string[],
  settleMs: number,
): Promise<void> {
  await sleep(settleMs);
  try {
    const n = await racp.request({ opCode: 'report-number-of-stored-records', operator: 'all' });
    if (n.opCode === 'number-of-stored-records-response')
      o.progress?.(`the device holds ${n.count} record(s)`);
    else notes.push(`RACP number of stored records: ${n.response}`);
  } catch (err) {
    notes.push(`RACP number of stored records: ${reason(err)}`);
    if (/no record and no response/.test(reason(err)))
      notes.push('RACP stayed silent: the device may answer only on a bonded link (hddt-gateway pair add)');
    return;
  }
  await sleep(settleMs);
  o.progress?.('RACP: report all stored records');
  try {
    const answer = await racp.request({ opCode: 'report-stored-records', operator: 'all' });
    const outcome = answer.opCode === 'response-code' ? answer.response : answer.opCode;
    o.progress?.(`RACP transfer ended: ${outcome}`);
    if (outcome !== 'success') notes.push(`RACP report all stored records: ${outcome}`);
  } catch (err) {
    notes.push(`RACP report all stored records: ${reason(err)}`);
  }
}

/** The steps on a connected link; returns the characteristics with their values. */
async function session(
  link: GattLink,
  inventory: readonly DiscoveredCharacteristic[],
  family: Family,
  o: CaptureOptions,
  notes: string[],
): Promise<CaptureCharacteristic[]> {
  const service = familyService(family);
  let racp: RacpClient | null = null;
  await subscribeAll(link, inventory, family, () => racp?.touch(), notes);
  if (link.has(service, CHAR.racp)) {
    const client = new RacpClient(link, service, family === 'glucose' ? 'gls' : 'cgms', o.racpTimeoutMs);
    try {
      await client.subscribe();
      racp = client;
    } catch (err) {
      notes.push(`subscribe ${service}/${CHAR.racp}: ${reason(err)}`);
    }
  } else notes.push(`the device has no RACP (${service}/${CHAR.racp}): no stored records asked for`);
  o.progress?.(`reading ${inventory.filter((c) => c.properties.includes('read')).length} characteristic(s)`);
  const gatt = await readAll(link, inventory);
  if (racp && link.connected) await askRacp(racp, o, notes, o.settleMs ?? 600);
  if (link.connected && o.listenSeconds > 0) {
    o.progress?.(`listening ${o.listenSeconds} s for live values`);
    const down = new Promise<void>((resolve) => link.onDisconnect(() => resolve()));
    o.onListening?.();
    await sleep(o.listenSeconds * 1000, down);
  }
  return gatt;
}

function deviceOf(adv: Advertisement, inspector: CaptureInspector, family: Family): BleCapture['device'] {
  const d = inspector.advertisement(adv.id);
  return {
    address: adv.address,
    addressType: d.addressType,
    name: d.name ?? adv.name ?? null,
    rssi: adv.rssi,
    family,
    mtu: inspector.mtu(adv.id),
    advertisement: {
      serviceUuids: [...adv.serviceUuids],
      manufacturerData: d.manufacturerData ? d.manufacturerData.toString('hex') : null,
      serviceData: d.serviceData.map((s) => ({ uuid: s.uuid, hex: s.data.toString('hex') })),
      txPowerLevel: d.txPowerLevel,
      connectable: adv.connectable,
    },
  };
}

/** Finds, connects, records and disconnects; closes the radio in any case. */
export async function captureDevice(
  radio: BleRadio,
  inspector: CaptureInspector,
  o: CaptureOptions,
): Promise<BleCapture> {
  const capturedAt = new Date();
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const notes: string[] = [];
  try {
    const adv = await findDevice(radio, o);
    o.progress?.(`found ${adv.address} ${adv.name ?? ''} (${adv.rssi} dBm), connecting`);
    const raw = await radio.connect(adv.id, { timeoutMs: o.connectTimeoutMs, services: [] });
    let closing = false;
    raw.onDisconnect((why) => {
      if (!closing) notes.push(`the device ended the link after ${elapsed()} ms (${why})`);
    });
    const inventory = inspector.characteristics(adv.id);
    const family = familyOf(adv.serviceUuids) ?? familyOf(inventory.map((c) => c.service));
    if (!family) {
      await raw.disconnect();
      throw new CaptureError(`${adv.address} has neither the Glucose (0x1808) nor the CGM (0x181F) service`);
    }
    const link = new RecordingLink(raw, inventory, elapsed);
    const gatt = await session(link, inventory, family, o, notes);
    closing = true;
    await raw.disconnect();
    return {
      format: CAPTURE_FORMAT,
      capturedAt: capturedAt.toISOString(),
      hub: {
        timeZone: o.timeZone,
        utcOffsetMinutes: Math.round(zoneOffsetMs(capturedAt.getTime(), o.timeZone) / 60_000),
      },
      device: deviceOf(adv, inspector, family),
      gatt,
      exchanges: link.exchanges,
      notes,
    };
  } finally {
    await radio.close().catch(() => undefined);
  }
}
