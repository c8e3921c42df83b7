// The reference DiGA client against the real server over mTLS: pairing through the HTML forms, polling in
// HDDT's pattern (a chunk turning final, a backfilled chunk found by _lastUpdated), refresh before expiry,
// and a clear error once the patient revoked the pairing.
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DigaClient } from '../../diga-client/client.ts';
import { DigaClientError } from '../../diga-client/errors.ts';
import { readJsonl, resourceKey } from '../../diga-client/output.ts';
import type { StoredTokens } from '../../diga-client/tokens.ts';
import { listPairingsOfPatient } from '../../gateway/store/oauth-grants.ts';
import { unpair } from '../../server/oauth/pairing.ts';
import { removeCertificates } from '../server/oauth/harness.ts';
import { bgReadings, HOUR, startClientFixture, type ClientFixture } from './fixture.ts';

let f: ClientFixture;
let client: DigaClient;
let patient: { username: string; password: string; totpSecret: string; patientId: string };

const MIN = 60_000;

function tokens(): StoredTokens {
  return JSON.parse(fs.readFileSync(`${f.stateDir}/tokens.json`, 'utf8')) as StoredTokens;
}

before(async () => {
  f = await startClientFixture();
  patient = await f.h.addPatient();
  f.assignTo(patient.patientId);
  // CGM from H-3h to H+30min (the clock), with a gap of 10 minutes in the chunk [H-2h, H-1h).
  const all = f.cgm(0, 210);
  f.ingest(all.filter((r) => r.recordNumber! < 70 || r.recordNumber! >= 80));
  f.ingest(bgReadings(new Date(f.H - 24 * HOUR), 1));
  client = await DigaClient.open(f.settings, { now: f.now, sleep: async () => undefined });
});

after(async () => {
  client?.close();
  await f.close();
  removeCertificates();
});

describe('reference DiGA client', () => {
  it('reads the AS metadata and the CapabilityStatement', () => {
    assert.equal(client.metadata.issuer, f.h.url);
    assert.equal(client.metadata.require_pushed_authorization_requests, true);
    assert.equal(client.capabilities.fhirVersion, '4.0.1');
    assert.ok(client.capabilities.resources.includes('Observation'));
    assert.equal(client.capabilities.cgmSummaryOperation, true);
  });

  it('pairs end to end: PAR + PKCE over mTLS, login with password and TOTP, consent, code exchange', async () => {
    await assert.rejects(
      client.pollOnce(),
      (e: unknown) => e instanceof DigaClientError && e.reason === 'not_paired',
    );
    const r = await client.pairWithCredentials(['bloodGlucose', 'cgm'], patient);
    assert.deepEqual(r.mivs, ['bloodGlucose', 'cgm']);
    assert.match(r.scope, /patient\/Device\.rs/);
    const st = fs.statSync(`${f.stateDir}/tokens.json`);
    assert.equal(st.mode & 0o777, 0o600);
    const t = tokens();
    assert.match(t.pairingId, /^[0-9a-f]{64}$/);
    assert.equal(t.expiresAtMs - t.obtainedAtMs, 300_000);
    const pairings = listPairingsOfPatient(f.h.services.store, patient.patientId);
    assert.equal(pairings.length, 1);
    assert.equal(pairings[0]!.pairing_id, t.pairingId);
  });

  it('a wrong password is a clear login error', async () => {
    await assert.rejects(
      client.pairWithCredentials(['cgm'], { ...patient, password: 'not-the-password' }),
      (e: unknown) => e instanceof DigaClientError && e.reason === 'login_failed',
    );
  });

  it('polls: history with devices, a chunk turning final, a new chunk after its end, a backfill via _lastUpdated', async () => {
    const p1 = await client.pollOnce();
    // Chunks [H-3h, H-2h), [H-2h, H-1h), [H-1h, H) final, [H, H+1h) preliminary.
    assert.equal(p1.written.cgm, 4);
    assert.equal(p1.written.bg, 8);
    assert.equal(p1.written.device, 2);
    assert.equal(p1.written.deviceMetric, 2);
    assert.equal(p1.openChunks, 1);
    assert.deepEqual(p1.backfilled, []);
    const open = Object.keys(
      JSON.parse(fs.readFileSync(`${f.stateDir}/poll-state.json`, 'utf8')).cgm.preliminary as object,
    );
    assert.equal(open.length, 1);

    // Nothing new: nothing written.
    const p2 = await client.pollOnce();
    assert.equal(p2.written.cgm + p2.written.bg + p2.written.device + p2.written.deviceMetric, 0);

    // 31 minutes later: the open chunk is complete (final), a new one began, and the gap was backfilled.
    f.h.clock.advance(31 * MIN);
    f.ingest(f.cgm(210, 241));
    f.ingest(f.cgm(0, 241).filter((r) => r.recordNumber! >= 70 && r.recordNumber! < 80));
    const p3 = await client.pollOnce();
    assert.deepEqual(p3.finalized, open);
    assert.equal(p3.openChunks, 1);
    assert.equal(p3.backfilled.length, 1, JSON.stringify(p3.backfilled));

    const lines = readJsonl(f.settings.outFile);
    const keys = lines.map(resourceKey);
    assert.equal(new Set(keys).size, keys.length, 'each resource version once');
    const backfilled = lines.find((r) => resourceKey(r) === p3.backfilled[0])!;
    assert.equal(Date.parse((backfilled.effectivePeriod as { start: string }).start), f.H - 2 * HOUR);
    assert.ok(!(backfilled.valueSampledData as { data: string }).data.includes('E'));
    const versions = lines.filter((r) => r.id === open[0]).map((r) => r.status);
    assert.deepEqual([versions[0], versions.at(-1)], ['preliminary', 'final']);

    const s = await client.summary();
    assert.equal(s.counts.cgmChunks, 5);
    assert.equal(s.counts.cgmFinal, 4);
    assert.equal(s.counts.bgObservations, 8);
    assert.equal(s.latestCgm?.at, new Date(f.sessionStart.getTime() + 240 * MIN).toISOString());
    assert.ok(s.cgmSummary?.meanGlucose && s.cgmSummary.meanGlucose.value > 40);
    assert.ok(s.cgmSummary?.timeInRanges && 'target' in s.cgmSummary.timeInRanges);
    const text = client.formatSummary(s).join('\n');
    assert.match(text, /CGM chunks: +5 \(4 final/);
    assert.ok(!text.includes(tokens().accessToken));
  });

  it('refreshes the access token shortly before it expires, with a rotated refresh token', async () => {
    const before = tokens();
    assert.equal(await client.refreshIfDue(), false);
    f.h.clock.set(before.expiresAtMs - 50_000);
    await client.pollOnce();
    const afterPoll = tokens();
    assert.notEqual(afterPoll.refreshToken, before.refreshToken);
    assert.notEqual(afterPoll.accessToken, before.accessToken);
    assert.equal(afterPoll.obtainedAtMs, f.now());
    assert.equal(afterPoll.pairingId, before.pairingId);
    assert.equal(await client.refreshIfDue(), false);
  });

  it('a revoked grant ends polling with a clear error', async () => {
    unpair(f.h.services, tokens().pairingId, 'patient_revoked');
    await assert.rejects(client.pollOnce(), (e: unknown) => {
      assert.ok(e instanceof DigaClientError);
      assert.equal(e.reason, 'grant_revoked');
      assert.match(e.message, /pair again/);
      return true;
    });
  });
});
