// `hddt-gateway device assign <device> <patient>`: which patient a device's readings belong to.
import type { Command } from 'commander';
import { dataPath } from '../../config/load.ts';
import { openStore } from '../../gateway/store/store.ts';
import { assignDevice, getPatientByUsername, unassignDevice } from '../../gateway/store/patients.ts';
import { action, configFrom, UsageError, withConfigOption } from './common.ts';

export function register(program: Command): void {
  const device = program.command('device').description('Device assignments');

  withConfigOption(device.command('assign <device> <patient>'))
    .description('assign a device (its stable key) to a patient (username); replaces an earlier assignment')
    .action(
      action(async (deviceKey: string, username: string, opts: { config?: string }) => {
        if (deviceKey.length === 0 || deviceKey.length > 200)
          throw new UsageError('device key must be 1-200 characters');
        const config = configFrom(opts);
        const store = openStore({ path: dataPath(config, config.store.file) });
        try {
          const p = getPatientByUsername(store, username);
          if (!p || p.removed_ms !== null) throw new UsageError(`no patient named ${username}`);
          assignDevice(store, deviceKey, p.id, Date.now());
          process.stdout.write(`device ${deviceKey} assigned to ${username}\n`);
        } finally {
          store.close();
        }
      }),
    );

  withConfigOption(device.command('unassign <device>'))
    .description('remove the assignment of a device')
    .action(
      action(async (deviceKey: string, opts: { config?: string }) => {
        const config = configFrom(opts);
        const store = openStore({ path: dataPath(config, config.store.file) });
        try {
          unassignDevice(store, deviceKey, Date.now());
          process.stdout.write(`device ${deviceKey} unassigned\n`);
        } finally {
          store.close();
        }
      }),
    );
}
