// TOTP secrets at rest: encrypted with a key kept in a file beside the database (keys/totp.key, 0600), never
// in the database file as base32; secrets an earlier version stored plain are encrypted at server start and on
// first use; login with TOTP still works; a missing, wrong or damaged key is a clear error that lets no code
// through; a backup of the data directory carries the key and a restore logs in again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generate as totpGenerate } from 'otplib';
import { createBackup } from '../../../gateway/backup/backup.ts';
import { restoreBackup } from '../../../gateway/backup/restore.ts';
import { getCredentials, setTotpPending, setTotpSecret } from '../../../gateway/store/oauth-accounts.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { buildServer } from '../../../server/app.ts';
import { checkPatientTotp, createAccount, newTotpSecret } from '../../../server/pages/accounts.ts';
import { totpKeyFile, TotpKeyError } from '../../../server/pages/totp-key.ts';
import { decryptTotpSecret, encryptTotpSecret } from '../../../server/pages/totp-secrets.ts';
import { tempDir } from '../../helpers/tmp.ts';
import {
  csrfOf,
  location,
  removeCertificates,
  startHarness,
  type Browser,
  type Harness,
  type HttpResult,
} from '../oauth/harness.ts';

/** Every file SQLite keeps for the database (the WAL holds recent pages), as one latin1 string. */
function databaseBytes(file: string): string {
  return ['', '-wal', '-shm', '-journal']
    .map((s) => (fs.existsSync(file + s) ? fs.readFileSync(file + s).toString('latin1') : ''))
    .join('\n');
}

const codeAt = (secret: string, ms: number) => totpGenerate({ secret, epoch: Math.floor(ms / 1000) });

describe('TOTP secrets at rest, in a database file', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dataDir: string;
  let dbFile: string;
  let store: Store;
  before(() => {
    tmp = tempDir('hddt-totp-');
    dataDir = path.join(tmp.dir, 'data');
    dbFile = path.join(dataDir, 'hddt.sqlite');
    store = openStore({ path: dbFile });
  });
  after(() => {
    store.close();
    tmp.cleanup();
  });

  it('are encrypted with a key made on first use in keys/totp.key (0600), and the file holds no base32 secret', async () => {
    const keyFile = path.join(dataDir, 'keys', 'totp.key');
    assert.equal(totpKeyFile(dbFile), keyFile);
    assert.equal(fs.existsSync(keyFile), false, 'no key before the first secret');
    const now = Date.now();
    const a = await createAccount(store, 'alice-rest', 'correct horse battery', now);
    const b = await createAccount(store, 'bob-rest', 'correct horse battery', now);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(keyFile)).mode & 0o777, 0o700);
    assert.match(fs.readFileSync(keyFile, 'utf8'), /^[0-9a-f]{64}\n$/);

    const stored = getCredentials(store, a.patient.id)!.totp_secret!;
    assert.match(stored, /^v1\./);
    assert.ok(!stored.includes(a.totpSecret));
    assert.equal(decryptTotpSecret(store, a.patient.id, stored), a.totpSecret);
    assert.notEqual(stored, getCredentials(store, b.patient.id)!.totp_secret, 'each secret its own iv');

    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = databaseBytes(dbFile);
    assert.ok(bytes.includes('alice-rest'), 'the scan reads the rows');
    for (const s of [a.totpSecret, b.totpSecret])
      assert.ok(!bytes.includes(s), 'no base32 secret in the database');
    assert.ok(!bytes.includes(fs.readFileSync(keyFile, 'utf8').trim()), 'nor the key');

    const step = await checkPatientTotp(
      store,
      getCredentials(store, a.patient.id)!,
      'active',
      await codeAt(a.totpSecret, now),
      now,
    );
    assert.equal(typeof step, 'number', 'the code of the secret still passes');
    const wrong = await checkPatientTotp(
      store,
      getCredentials(store, a.patient.id)!,
      'active',
      '000000',
      now,
    );
    assert.equal(wrong, undefined);
  });

  it('a missing, wrong or damaged key is a TotpKeyError naming the key file, and no code passes', async () => {
    const now = Date.now();
    const acc = await createAccount(store, 'carol-rest', 'correct horse battery', now);
    const cred = getCredentials(store, acc.patient.id)!;
    const code = await codeAt(acc.totpSecret, now);
    const keyFile = totpKeyFile(dbFile);
    const key = fs.readFileSync(keyFile);
    const expect = (code_: string) => (err: unknown) => {
      assert.ok(err instanceof TotpKeyError, String(err));
      assert.equal(err.code, code_);
      assert.ok(err.message.includes(keyFile), err.message);
      assert.ok(!err.message.includes(acc.totpSecret) && !err.message.includes(key.toString().trim()));
      return true;
    };
    try {
      fs.rmSync(keyFile);
      await assert.rejects(
        checkPatientTotp(store, cred, 'active', code, now),
        expect('ERR_TOTP_KEY_MISSING'),
      );
      assert.throws(
        () => encryptTotpSecret(store, acc.patient.id, newTotpSecret()),
        expect('ERR_TOTP_KEY_MISSING'),
        'no new key while secrets under the lost one exist',
      );
      assert.equal(fs.existsSync(keyFile), false);

      fs.writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      await assert.rejects(
        checkPatientTotp(store, cred, 'active', code, now),
        expect('ERR_TOTP_KEY_MISMATCH'),
      );

      fs.writeFileSync(keyFile, 'not a key\n', { mode: 0o600 });
      await assert.rejects(
        checkPatientTotp(store, cred, 'active', code, now),
        expect('ERR_TOTP_KEY_DAMAGED'),
      );
    } finally {
      fs.writeFileSync(keyFile, key, { mode: 0o600 });
    }
    // the right key again: a secret moved to another patient's row, or modified, does not decrypt
    const other = await createAccount(store, 'dave-rest', 'correct horse battery', now);
    assert.throws(
      () => decryptTotpSecret(store, other.patient.id, cred.totp_secret!),
      expect('ERR_TOTP_SECRET_DAMAGED'),
    );
    const tampered = cred.totp_secret!.slice(0, -2) + (cred.totp_secret!.endsWith('AA') ? 'BB' : 'AA');
    assert.throws(
      () => decryptTotpSecret(store, acc.patient.id, tampered),
      expect('ERR_TOTP_SECRET_DAMAGED'),
    );
    assert.equal(typeof (await checkPatientTotp(store, cred, 'active', code, now)), 'number');
  });

  it('a backup of the data directory carries the key: the restored copy checks codes, without it none pass', async () => {
    const now = Date.now();
    const acc = await createAccount(store, 'erin-rest', 'correct horse battery', now);
    const out = path.join(tmp.dir, 'hub.backup');
    const res = await createBackup({ store, dataDir, out, key: { passphrase: 'correct horse' } });
    assert.ok(res.entries.includes('keys/totp.key'), res.entries.join(' '));
    const target = path.join(tmp.dir, 'restored');
    await restoreBackup({ file: out, dataDir: target, key: { passphrase: 'correct horse' } });
    assert.equal(fs.statSync(path.join(target, 'keys', 'totp.key')).mode & 0o777, 0o600);
    const restored = openStore({ path: path.join(target, 'hddt.sqlite') });
    try {
      const cred = getCredentials(restored, acc.patient.id)!;
      const code = await codeAt(acc.totpSecret, now);
      assert.equal(typeof (await checkPatientTotp(restored, cred, 'active', code, now)), 'number');
      fs.rmSync(path.join(target, 'keys', 'totp.key'));
      await assert.rejects(checkPatientTotp(restored, cred, 'active', code, now), TotpKeyError);
    } finally {
      restored.close();
    }
  });
});

describe('TOTP secrets at rest, through the patient pages', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
    removeCertificates();
  });

  const dbFile = () => h.services.store.path;

  async function loginWithCode(
    b: Browser,
    p: { username: string; password: string },
    code: string,
  ): Promise<HttpResult> {
    const page = await b.get('/account/login');
    const r1 = await b.post('/account/login', {
      _csrf: csrfOf(page.text),
      username: p.username,
      password: p.password,
    });
    assert.equal(location(r1), '/account/login/totp');
    const totpPage = await b.get('/account/login/totp');
    return b.post('/account/login/totp', { _csrf: csrfOf(totpPage.text), code });
  }

  /** Stores a patient's secret as an earlier version did: plain base32. */
  function makePlain(patientId: string, secret: string): void {
    setTotpSecret(h.services.store, patientId, secret, h.clock.now().getTime());
    assert.equal(getCredentials(h.services.store, patientId)!.totp_secret, secret);
  }

  it('plain secrets of an earlier version are encrypted at server start, and their owners log in', async () => {
    const p = await h.addPatient();
    makePlain(p.patientId, p.totpSecret);
    const q = await h.addPatient();
    const pending = newTotpSecret();
    setTotpSecret(h.services.store, q.patientId, null, h.clock.now().getTime());
    setTotpPending(h.services.store, q.patientId, pending, h.clock.now().getTime());
    assert.ok(databaseBytes(dbFile()).includes(p.totpSecret), 'the plain secret is in the file before');

    const restarted = await buildServer(h.services, {
      tls: { cert: h.certs.serverCertPem, key: h.certs.serverKeyPem },
    });
    await restarted.ready();
    await restarted.close();

    const cred = getCredentials(h.services.store, p.patientId)!;
    assert.match(cred.totp_secret!, /^v1\./);
    assert.match(getCredentials(h.services.store, q.patientId)!.totp_pending!, /^v1\./);
    const bytes = databaseBytes(dbFile());
    assert.ok(!bytes.includes(p.totpSecret), 'the plain secret is gone from the database file and its WAL');
    assert.ok(!bytes.includes(pending), 'and the plain pending one');

    h.clock.advance(30_000);
    const ok = await loginWithCode(h.browser(), p, await h.totp(p.totpSecret));
    assert.equal(ok.status, 303);
    assert.equal(location(ok), '/account/pairings');
  });

  it('a plain secret met at login is encrypted then (first use), and the login passes', async () => {
    const p = await h.addPatient();
    makePlain(p.patientId, p.totpSecret);
    h.clock.advance(30_000);
    const ok = await loginWithCode(h.browser(), p, await h.totp(p.totpSecret));
    assert.equal(location(ok), '/account/pairings');
    assert.match(getCredentials(h.services.store, p.patientId)!.totp_secret!, /^v1\./);
    assert.ok(!databaseBytes(dbFile()).includes(p.totpSecret));
  });

  it('enrolment after reset-2fa keeps the new secret encrypted, and login with it works', async () => {
    const p = await h.addPatient();
    setTotpSecret(h.services.store, p.patientId, null, h.clock.now().getTime());
    const b = h.browser();
    const page = await b.get('/account/login');
    const r1 = await b.post('/account/login', {
      _csrf: csrfOf(page.text),
      username: p.username,
      password: p.password,
    });
    assert.equal(location(r1), '/account/enroll');
    const enrol = await b.get('/account/enroll');
    const uri = /otpauth:\/\/totp\/[^<"]+/.exec(enrol.text)![0].replace(/&amp;/g, '&');
    const secret = new URL(uri).searchParams.get('secret')!;
    const pending = getCredentials(h.services.store, p.patientId)!.totp_pending!;
    assert.match(pending, /^v1\./);
    assert.ok(!databaseBytes(dbFile()).includes(secret), 'the pending secret is stored encrypted');
    const again = await b.get('/account/enroll');
    assert.ok(again.text.includes(secret), 'the same pending secret is shown again');
    const ok = await b.post('/account/enroll', { _csrf: csrfOf(again.text), code: await h.totp(secret) });
    assert.equal(location(ok), '/account/pairings');
    assert.match(getCredentials(h.services.store, p.patientId)!.totp_secret!, /^v1\./);
    h.clock.advance(30_000);
    assert.equal(location(await loginWithCode(h.browser(), p, await h.totp(secret))), '/account/pairings');
  });

  it('with the key file missing or replaced, the right code is refused with a server error, not accepted', async () => {
    const p = await h.addPatient();
    const keyFile = totpKeyFile(dbFile());
    const key = fs.readFileSync(keyFile);
    try {
      for (const breakKey of [
        () => fs.rmSync(keyFile),
        () => fs.writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 }),
      ]) {
        breakKey();
        h.clock.advance(30_000);
        const b = h.browser();
        const r = await loginWithCode(b, p, await h.totp(p.totpSecret));
        assert.equal(r.status, 500, 'a clear failure, never a login');
        assert.equal(r.headers.location, undefined);
        const after = await b.get('/account/pairings');
        assert.equal(after.status, 303, 'not logged in');
        assert.match(location(after), /^\/account\/login/);
      }
    } finally {
      fs.writeFileSync(keyFile, key, { mode: 0o600 });
    }
    h.clock.advance(30_000);
    assert.equal(
      location(await loginWithCode(h.browser(), p, await h.totp(p.totpSecret))),
      '/account/pairings',
    );
  });
});
