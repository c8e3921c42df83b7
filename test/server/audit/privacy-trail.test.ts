// Privacy audit trail: hash chain verification, tamper detection, append-only trigger, pseudonymous
// patient references, per-patient view, retention pruning (never below 30 days).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import {
  appendPrivacyEvent,
  patientRef,
  privacyEventsOfPatient,
  prunePrivacyTrail,
  verifyPrivacyTrail,
} from '../../../server/audit/privacy-trail.ts';

let dir: string;
let store: Store;
const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-trail-'));
  store = openStore({ path: path.join(dir, 'db.sqlite') });
});

after(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('privacy audit trail', () => {
  it('chains entries and verifies them', () => {
    const ref = patientRef(store, 'patient-internal-id');
    assert.match(ref, /^[0-9a-f]{32}$/);
    assert.ok(!ref.includes('patient-internal-id'));
    appendPrivacyEvent(store, { event: 'login', outcome: 'success', atMs: T0, patientRef: ref });
    appendPrivacyEvent(store, {
      event: 'pairing',
      outcome: 'success',
      atMs: T0 + 1000,
      patientRef: ref,
      pairingId: 'p'.repeat(64),
      clientId: 'urn:diga:bfarm:10001',
    });
    appendPrivacyEvent(store, {
      event: 'unauthorized_access',
      outcome: 'failure',
      atMs: T0 + 2000,
      pairingId: 'p'.repeat(64),
    });
    appendPrivacyEvent(store, {
      event: 'login_failed',
      outcome: 'failure',
      atMs: T0 + 3000,
      patientRef: 'other',
    });
    assert.deepEqual(verifyPrivacyTrail(store), { ok: true, checked: 4 });
    const mine = privacyEventsOfPatient(store, 'patient-internal-id', ['p'.repeat(64)]);
    assert.deepEqual(
      mine.map((r) => r.event),
      ['unauthorized_access', 'pairing', 'login'],
    );
  });

  it('refuses updates (append-only)', () => {
    // Direct SQL on purpose: this is the attack being tested.
    assert.throws(
      () => store.db.prepare("UPDATE privacy_audit SET reason = 'x' WHERE seq = 1").run(),
      /append-only/,
    );
  });

  it('detects a changed, a removed and a forged entry', () => {
    const check = (mutate: () => void, expectBroken: boolean) => {
      store.db.exec('SAVEPOINT t');
      try {
        mutate();
        const v = verifyPrivacyTrail(store);
        assert.equal(v.ok, !expectBroken);
      } finally {
        store.db.exec('ROLLBACK TO t; RELEASE t');
      }
    };
    // Bypass the trigger as an attacker with file access would.
    check(() => {
      store.db.exec('DROP TRIGGER privacy_audit_no_update');
      store.db.prepare("UPDATE privacy_audit SET client_id = 'urn:diga:bfarm:66666' WHERE seq = 2").run();
    }, true);
    check(() => store.db.prepare('DELETE FROM privacy_audit WHERE seq = 2').run(), true);
    check(() => {
      store.db
        .prepare(
          `INSERT INTO privacy_audit (seq, at_ms, event, outcome, prev_hash, hash) VALUES (100, 1, 'login', 'success', ?, ?)`,
        )
        .run('0'.repeat(64), 'f'.repeat(64));
    }, true);
    assert.equal(verifyPrivacyTrail(store).ok, true);
  });

  it('prunes only entries older than the retention period (at least 30 days) and stays verifiable', () => {
    appendPrivacyEvent(store, { event: 'login', outcome: 'success', atMs: T0 + 40 * DAY });
    assert.equal(prunePrivacyTrail(store, T0 + 40 * DAY, 5), 4, 'retention below 30 days is raised to 30');
    assert.equal(prunePrivacyTrail(store, T0 + 40 * DAY, 30), 0);
    assert.deepEqual(verifyPrivacyTrail(store), { ok: true, checked: 1 });
  });
});
