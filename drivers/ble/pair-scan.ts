// `hddt-gateway pair scan`: the glucose meters and CGMs advertising nearby, with name, address, RSSI and whether
// they are already added (paired-devices.ts) or allow-listed; each device is reported when first seen and again
// when its signal changes by 6 dB or more, so the operator can walk a meter closer and watch it.
import type { Advertisement, BleRadio } from './transport.ts';
import { SERVICE } from './uuids.ts';

export interface NearbyDevice {
  address: string;
  family: 'cgm' | 'glucose';
  name: string | null;
  rssi: number;
  /** added with `pair add` or in ble.allowList: the gateway reads it */
  known: boolean;
}

export interface ScanOptions {
  seconds: number;
  isKnown(address: string): boolean;
  onUpdate(device: NearbyDevice): void;
  powerOnTimeoutMs?: number;
}

const RSSI_STEP_DB = 6;

function familyOf(adv: Advertisement): 'cgm' | 'glucose' | null {
  if (adv.serviceUuids.includes(SERVICE.cgm)) return 'cgm';
  if (adv.serviceUuids.includes(SERVICE.glucose)) return 'glucose';
  return null;
}

/** Scans for `seconds` (restarting the scan each second, so noble reports devices again); returns all seen. */
export async function scanNearby(radio: BleRadio, o: ScanOptions): Promise<NearbyDevice[]> {
  const seen = new Map<string, NearbyDevice>();
  radio.onDiscover((adv) => {
    const family = familyOf(adv);
    if (!family) return;
    const before = seen.get(adv.address);
    const d: NearbyDevice = {
      address: adv.address,
      family,
      name: adv.name ?? before?.name ?? null,
      rssi: adv.rssi,
      known: o.isKnown(adv.address),
    };
    seen.set(adv.address, d);
    if (!before || Math.abs(before.rssi - d.rssi) >= RSSI_STEP_DB || before.name !== d.name) o.onUpdate(d);
  });
  await radio.powerOn(o.powerOnTimeoutMs ?? 15_000);
  const until = Date.now() + o.seconds * 1000;
  try {
    while (Date.now() < until) {
      await radio.startScanning([SERVICE.glucose, SERVICE.cgm]);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, until - Date.now()))));
      await radio.stopScanning();
    }
  } finally {
    await radio.close().catch(() => undefined);
  }
  return [...seen.values()];
}
