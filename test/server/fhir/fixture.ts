// A data set for FHIR tests: two patients, each with a CGM (1-minute samples, 14-day sensor sessions) and a
// blood glucose meter (8 readings a day), ingested through the real ingest() into a real SQLite file.
import path from 'node:path';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../../gateway/readings/reading.ts';
import { addPatient, assignDevice } from '../../../gateway/store/patients.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import type { SearchScope } from '../../../gateway/store/fhir-search.ts';
import { MIV_CODES } from '../../../gateway/hddt/codes.ts';
import { tempDir } from '../../helpers/tmp.ts';

export interface Dataset {
  store: Store;
  dir: string;
  start: Date;
  end: Date;
  patients: { a: string; b: string };
  devices: { cgmA: string; bgA: string; cgmB: string; bgB: string };
  cleanup: () => void;
}

const DAY = 86_400_000;

/** `days` of data ending at `end`; CGM sessions of 14 days (a new Device every 14 days). */
export function buildDataset(opts: { days: number; end?: Date; cgmIntervalMinutes?: number }): Dataset {
  const { dir, cleanup } = tempDir('hddt-fhir-');
  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  const end = opts.end ?? new Date('2025-11-01T00:00:00Z');
  const start = new Date(end.getTime() - opts.days * DAY);
  const interval = opts.cgmIntervalMinutes ?? 1;
  const patients = {
    a: addPatient(store, 'alice', start.getTime()).id,
    b: addPatient(store, 'bob', start.getTime()).id,
  };
  const devices = {
    cgmA: 'ble:aa:00:00:00:00:01',
    bgA: 'ble:aa:00:00:00:00:02',
    cgmB: 'ble:bb:00:00:00:00:01',
    bgB: 'ble:bb:00:00:00:00:02',
  };
  const batch: Reading[] = [];
  const cgm = (key: string, seed: number) => {
    for (let s = start.getTime(); s < end.getTime(); s += 14 * DAY) {
      const minutes = Math.min(14 * DAY, end.getTime() - s) / 60_000;
      batch.push(
        ...cgmSeries({
          deviceKey: key,
          sessionStart: new Date(s),
          count: Math.floor(minutes / interval),
          intervalMinutes: interval,
          seed,
        }),
      );
    }
  };
  cgm(devices.cgmA, 1);
  cgm(devices.cgmB, 3);
  batch.push(...bgSeries({ deviceKey: devices.bgA, start, days: opts.days, seed: 2 }));
  batch.push(...bgSeries({ deviceKey: devices.bgB, start, days: opts.days, seed: 4 }));
  for (let i = 0; i < batch.length; i += 20_000) ingest(store, batch.slice(i, i + 20_000), { now: end });
  assignDevice(store, devices.cgmA, patients.a, start.getTime());
  assignDevice(store, devices.bgA, patients.a, start.getTime());
  assignDevice(store, devices.cgmB, patients.b, start.getTime());
  assignDevice(store, devices.bgB, patients.b, start.getTime());
  return {
    store,
    dir,
    start,
    end,
    patients,
    devices,
    cleanup: () => {
      store.close();
      cleanup();
    },
  };
}

export function scopeOf(
  patientId: string,
  mivs: Array<'bloodGlucose' | 'cgm'>,
  minEffectiveEndMs = 0,
): SearchScope {
  return { patientId, groups: mivs.map((m) => ({ codes: MIV_CODES[m], minEffectiveEndMs })) };
}
