// The OAuth harness (real HTTPS server with mTLS, dev certificates, DiGA directory, SQLite, ManualClock)
// plus CGM and blood glucose data ingested through the real ingest(), for the reference DiGA client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mappingFromConfig } from '../../gateway/hddt/mapping.ts';
import { refreshTimeDependent } from '../../gateway/ingest/refresh.ts';
import { ingest } from '../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../gateway/readings/reading.ts';
import { assignDevice } from '../../gateway/store/patients.ts';
import { bgSeries, cgmSeries } from '../../firmware-bridge/synthetic-readings.ts';
import type { ClientSettings } from '../../diga-client/settings.ts';
import { startHarness, type Harness } from '../server/oauth/harness.ts';

export const HOUR = 3_600_000;
export const CGM_KEY = 'ble:c0:11:22:33:44:55';
export const BG_KEY = 'ble:c0:aa:bb:cc:dd:ee';

export interface ClientFixture {
  h: Harness;
  /** Start of the hour the clock is in (the clock starts at H + 30 min). */
  H: number;
  sessionStart: Date;
  stateDir: string;
  settings: ClientSettings;
  now: () => number;
  /** Ingests at the harness clock's time and lets time-driven state (final chunks) catch up. */
  ingest(readings: Reading[]): void;
  /** CGM samples at minutes [from, to) after the session start. */
  cgm(fromMinute: number, toMinute: number): Reading[];
  assignTo(patientId: string): void;
  close(): Promise<void>;
}

export async function startClientFixture(): Promise<ClientFixture> {
  const h = await startHarness();
  const t = h.clock.now().getTime();
  const H = Math.ceil(t / HOUR) * HOUR;
  h.clock.set(H + 30 * 60_000);
  const sessionStart = new Date(H - 3 * HOUR);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'diga-client-'));
  const c = h.certs.clients[0]!;
  const settings: ClientSettings = {
    issuer: h.url,
    fhirBase: `${h.url}/fhir`,
    clientId: c.clientId,
    redirectUri: c.redirectUri,
    certFile: c.certFile,
    keyFile: c.keyFile,
    caFile: h.certs.caFile,
    stateDir,
    outFile: path.join(stateDir, 'resources.jsonl'),
  };
  const mapping = mappingFromConfig(h.services.config);
  const now = () => h.clock.now().getTime();
  return {
    h,
    H,
    sessionStart,
    stateDir,
    settings,
    now,
    ingest(readings) {
      const r = ingest(h.services.store, readings, { now: new Date(now()), mapping });
      if (r.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(r.rejected[0])}`);
      refreshTimeDependent(h.services.store, now(), mapping);
    },
    cgm(fromMinute, toMinute) {
      return cgmSeries({
        deviceKey: CGM_KEY,
        sessionStart,
        count: toMinute - fromMinute,
        firstIndex: fromMinute,
        seed: 1,
      });
    },
    assignTo(patientId) {
      assignDevice(h.services.store, CGM_KEY, patientId, sessionStart.getTime());
      assignDevice(h.services.store, BG_KEY, patientId, sessionStart.getTime());
    },
    async close() {
      await h.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export function bgReadings(start: Date, days: number): Reading[] {
  return bgSeries({ deviceKey: BG_KEY, start, days, perDay: 8, seed: 2 });
}
