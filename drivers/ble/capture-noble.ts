// What `ble capture` records beyond the transport seam, taken from noble's own objects: the raw advertisement
// (manufacturer data, service data, TX power, address type) and every characteristic discovered with its
// properties. The NobleRadio it watches scans, connects and talks GATT as the gateway does.
import type { Peripheral } from '@stoprocent/noble';
import type { AdvertisementDetails, CaptureInspector } from './capture.ts';
import type { DiscoveredCharacteristic } from './capture-link.ts';
import type { NobleRadio } from './noble-transport.ts';

export function nobleInspector(radio: NobleRadio): CaptureInspector {
  const seen = new Map<string, Peripheral>();
  radio.noble.on('discover', (p: Peripheral) => {
    seen.set(p.id, p);
  });
  return {
    advertisement(id: string): AdvertisementDetails {
      const p = seen.get(id);
      const a = p?.advertisement;
      return {
        addressType: p?.addressType ?? null,
        name: a?.localName || null,
        manufacturerData: Buffer.isBuffer(a?.manufacturerData) ? a.manufacturerData : null,
        serviceData: (a?.serviceData ?? []).map((s) => ({ uuid: s.uuid.toLowerCase(), data: s.data })),
        txPowerLevel: typeof a?.txPowerLevel === 'number' ? a.txPowerLevel : null,
      };
    },
    characteristics(id: string): DiscoveredCharacteristic[] {
      const out: DiscoveredCharacteristic[] = [];
      for (const s of seen.get(id)?.services ?? [])
        for (const c of s.characteristics ?? [])
          out.push({ service: s.uuid, characteristic: c.uuid, properties: [...c.properties] });
      return out;
    },
    mtu: (id) => seen.get(id)?.mtu ?? null,
  };
}
