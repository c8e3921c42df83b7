// The list of sub-commands. Adding a command = one file in this folder + one line here.
import type { Command } from 'commander';
import { register as run } from './run.ts';
import { register as importReadings } from './import.ts';
import { register as backup } from './backup.ts';
import { register as certs } from './certs.ts';
import { register as patient } from './patient.ts';
import { register as device } from './device.ts';
import { register as decode } from './decode.ts';
import { register as logs } from './logs.ts';
import { register as dump } from './dump.ts';
import { register as simulate } from './simulate.ts';

export type RegisterCommand = (program: Command) => void;

// prettier-ignore
export const commands: RegisterCommand[] = [
  run,
  importReadings,
  backup,
  certs,
  patient,
  device,
  decode,
  logs,
  dump,
  simulate,
];
