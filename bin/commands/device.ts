// `hddt-gateway device assign|unassign|periods`: which patient a device's readings belong to, and when.
import type { Command } from 'commander';
import { openGatewayStore } from '../../gateway/open-store.ts';
import { AssignmentError, periodsOfDevice } from '../../gateway/store/assignments.ts';
import {
  assignDevice,
  getPatient,
  getPatientByUsername,
  unassignDevice,
} from '../../gateway/store/patients.ts';
import type { Store } from '../../gateway/store/store.ts';
import { action, configFrom, parseIsoTime, UsageError, withConfigOption } from './common.ts';

function checkKey(deviceKey: string): void {
  if (deviceKey.length === 0 || deviceKey.length > 200)
    throw new UsageError('device key must be 1-200 characters');
}

/** Runs `fn` on the gateway's store (with the outbox when sync is on); assignment errors are usage errors. */
function withStore(opts: { config?: string }, fn: (store: Store) => void): void {
  const store = openGatewayStore(configFrom(opts));
  try {
    fn(store);
  } catch (err) {
    if (err instanceof AssignmentError) throw new UsageError(err.message);
    throw err;
  } finally {
    store.close();
  }
}

export function register(program: Command): void {
  const device = program.command('device').description('Device assignments (periods)');

  withConfigOption(device.command('assign <device> <patient>'))
    .description(
      'assign a device (its stable key) to a patient (username) from now on; ends the period of an earlier ' +
        'patient, whose history stays theirs',
    )
    .option('--pre-register', 'accept a device key this gateway has not seen yet')
    .option(
      '--from <time>',
      'start of the period (ISO 8601); default: the whole history of a device that never had a patient, else now',
    )
    .action(
      action(
        async (
          deviceKey: string,
          username: string,
          opts: { config?: string; preRegister?: boolean; from?: string },
        ) => {
          checkKey(deviceKey);
          const fromMs = opts.from === undefined ? undefined : parseIsoTime(opts.from, '--from');
          withStore(opts, (store) => {
            const p = getPatientByUsername(store, username);
            if (!p || p.removed_ms !== null) throw new UsageError(`no patient named ${username}`);
            const period = assignDevice(store, deviceKey, p.id, Date.now(), {
              requireSeen: !opts.preRegister,
              fromMs,
            });
            const since = period.from_ms === 0 ? 'its whole history' : new Date(period.from_ms).toISOString();
            process.stdout.write(`device ${deviceKey} assigned to ${username} (from ${since})\n`);
          });
        },
      ),
    );

  withConfigOption(device.command('unassign <device>'))
    .description('end the assignment of a device now (its history stays with the patient)')
    .action(
      action(async (deviceKey: string, opts: { config?: string }) => {
        checkKey(deviceKey);
        withStore(opts, (store) => {
          const closed = unassignDevice(store, deviceKey, Date.now());
          process.stdout.write(
            closed ? `device ${deviceKey} unassigned\n` : `device ${deviceKey} was not assigned\n`,
          );
        });
      }),
    );

  withConfigOption(device.command('periods <device>'))
    .description('list the assignment periods of a device (patient username, from, until)')
    .action(
      action(async (deviceKey: string, opts: { config?: string }) => {
        checkKey(deviceKey);
        withStore(opts, (store) => {
          for (const p of periodsOfDevice(store, deviceKey)) {
            const who = getPatient(store, p.patient_id)?.username ?? '(removed)';
            const from = p.from_ms === 0 ? '-' : new Date(p.from_ms).toISOString();
            const until = p.until_ms === null ? 'open' : new Date(p.until_ms).toISOString();
            process.stdout.write(`${who}\t${from}\t${until}\n`);
          }
        });
      }),
    );
}
