// `hddt-gateway patient add|list|reset-2fa|remove`: pseudonymous patient accounts (password + TOTP).
// `add` prints the TOTP secret and otpauth URI once; nothing here logs them.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { openGatewayStore } from '../../gateway/open-store.ts';
import type { Store } from '../../gateway/store/store.ts';
import { getPatientByUsername, listPatients, type PatientRow } from '../../gateway/store/patients.ts';
import {
  deleteSessionsOfPatient,
  getCredentials,
  setTotpSecret,
} from '../../gateway/store/oauth-accounts.ts';
import { listPairingsOfPatient } from '../../gateway/store/oauth-grants.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { systemClock } from '../../server/clock.ts';
import { createAccount, removeAccount, USERNAME_PATTERN } from '../../server/pages/accounts.ts';
import { action, configFrom, UsageError, withConfigOption } from './common.ts';

// With sync on, what the command changes (a removal ends device assignments) is queued for the recorder.
function open(config: GatewayConfig): Store {
  return openGatewayStore(config);
}

function existing(store: Store, username: string): PatientRow {
  const p = getPatientByUsername(store, username);
  if (!p || p.removed_ms !== null) throw new UsageError(`no patient named ${username}`);
  return p;
}

/** Opens the store of the configuration for one command and closes it whatever happens. */
async function withStore<T>(opts: { config?: string }, fn: (store: Store) => T | Promise<T>): Promise<T> {
  const store = open(configFrom(opts));
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

async function add(username: string, opts: { config?: string; passwordStdin?: boolean }): Promise<void> {
  if (!USERNAME_PATTERN.test(username)) {
    throw new UsageError('username must be 3-64 characters of A-Z a-z 0-9 . _ -');
  }
  let password = randomBytes(12).toString('base64url');
  if (opts.passwordStdin) password = fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (password.length < 10) throw new UsageError('password must have at least 10 characters');
  await withStore(opts, async (store) => {
    if (getPatientByUsername(store, username))
      throw new UsageError(`a patient named ${username} exists already`);
    const acc = await createAccount(store, username, password, Date.now());
    process.stdout.write(`patient ${username} created\n`);
    if (!opts.passwordStdin) process.stdout.write(`password:    ${password}\n`);
    process.stdout.write(`TOTP secret: ${acc.totpSecret}\n`);
    process.stdout.write(`otpauth URI: ${acc.totpUri}\n`);
    process.stdout.write('These are shown only now.\n');
  });
}

/** One line per account: username, created, second factor (and lockout), active pairings. */
function accountLine(store: Store, p: PatientRow, now: number): string {
  const cred = getCredentials(store, p.id);
  const active = listPairingsOfPatient(store, p.id).filter(
    (x) => x.revoked_ms === null && x.consent_expires_ms > now,
  ).length;
  const totp = cred?.totp_secret ? 'totp' : 'totp-pending';
  const locked = cred && cred.locked_until_ms > now ? ' locked' : '';
  return `${p.username}\t${new Date(p.created_ms).toISOString()}\t${totp}${locked}\tpairings=${active}\n`;
}

function list(opts: { config?: string }): Promise<void> {
  return withStore(opts, (store) => {
    const now = Date.now();
    for (const p of listPatients(store))
      if (p.removed_ms === null) process.stdout.write(accountLine(store, p, now));
  });
}

function reset2fa(username: string, opts: { config?: string }): Promise<void> {
  return withStore(opts, (store) => {
    const p = existing(store, username);
    setTotpSecret(store, p.id, null, Date.now());
    deleteSessionsOfPatient(store, p.id);
    process.stdout.write(`second factor of ${username} reset; enrolment at next login\n`);
  });
}

function remove(username: string, opts: { config?: string }): Promise<void> {
  return withStore(opts, (store) => {
    const p = existing(store, username);
    const n = removeAccount({ store, clock: systemClock }, p.id);
    process.stdout.write(`patient ${username} removed (${n} pairing(s) revoked)\n`);
  });
}

export function register(program: Command): void {
  const patient = program
    .command('patient')
    .description('Patient accounts (pseudonymous; password and TOTP)');

  withConfigOption(patient.command('add <username>'))
    .description(
      'create an account; prints the initial password (unless --password-stdin) and the TOTP secret once',
    )
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .action(action(add));

  withConfigOption(patient.command('list'))
    .description('list accounts (username, created, second factor, active pairings)')
    .action(action(list));

  withConfigOption(patient.command('reset-2fa <username>'))
    .description('drop the TOTP secret; the patient enrols a new one at the next login (QR code)')
    .action(action(reset2fa));

  withConfigOption(patient.command('remove <username>'))
    .description(
      'remove the account: revoke all pairings, delete credentials, sessions and device assignments',
    )
    .action(action(remove));
}
