// The list of sub-commands. Adding a command = one file in this folder + one line here.
import type { Command } from 'commander';
import { register as run } from './run.ts';
import { register as importReadings } from './import.ts';
import { register as certs } from './certs.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [run, importReadings, certs];
