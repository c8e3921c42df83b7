// The sub-commands, loaded lazily: `hddt-gateway decode ...` must not pay for loading fastify, noble and
// serialport. Adding a command = one file in this folder + one line here, `name: () => import('./file.ts')`
// (a file that registers several commands appears once per name).
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;
export type CommandLoader = () => Promise<{ register: RegisterCommand }>;

// prettier-ignore
export const commands: Record<string, CommandLoader> = {
  run: () => import('./run.ts'),
  import: () => import('./import.ts'),
  backup: () => import('./backup.ts'),
  restore: () => import('./backup.ts'),
  certs: () => import('./certs.ts'),
  patient: () => import('./patient.ts'),
  device: () => import('./device.ts'),
  decode: () => import('./decode.ts'),
  logs: () => import('./logs.ts'),
  dump: () => import('./dump.ts'),
  simulate: () => import('./simulate.ts'),
  status: () => import('./status.ts'),
  consume: () => import('./consume.ts'),
  'diga-client': () => import('./diga-client.ts'),
  demo: () => import('./demo.ts'),
};
