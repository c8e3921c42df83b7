// The demo patient: made once with a generated password and TOTP secret, which the demo prints (that is its
// purpose) and keeps in a 0600 file in the demo data folder so a second run can log in again.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { getPatientByUsername } from '../gateway/store/patients.ts';
import type { Store } from '../gateway/store/store.ts';
import { createAccount } from '../server/pages/accounts.ts';

export interface DemoPatient {
  username: string;
  password: string;
  totpSecret: string;
  patientId: string;
  created: boolean;
}

export async function ensureDemoPatient(store: Store, dataDir: string, nowMs: number): Promise<DemoPatient> {
  const file = path.join(dataDir, 'demo-patient.json');
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<DemoPatient, 'created'>;
    const p = getPatientByUsername(store, saved.username);
    if (p && p.removed_ms === null && p.id === saved.patientId) return { ...saved, created: false };
  }
  // A fresh name if the usual one is taken (e.g. the credentials file was deleted).
  let username = 'demo';
  while (getPatientByUsername(store, username)) username = `demo-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const acc = await createAccount(store, username, password, nowMs);
  const p: DemoPatient = {
    username,
    password,
    totpSecret: acc.totpSecret,
    patientId: acc.patient.id,
    created: true,
  };
  const { created: _created, ...saved } = p;
  fs.writeFileSync(file, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return p;
}
