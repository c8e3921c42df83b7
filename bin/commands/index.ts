// The list of sub-commands. Adding a command = one file in this folder + one line here.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
