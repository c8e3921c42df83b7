// The static command table that `hddt-gateway --help` lists without loading any command says what each
// command module registers: the same names, options/arguments and descriptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, Help } from 'commander';
import { commands } from '../../../bin/commands/index.ts';

test('each table entry matches the command its module registers', async () => {
  const help = new Help();
  for (const [name, entry] of Object.entries(commands)) {
    const program = new Command('hddt-gateway');
    (await entry.load()).register(program);
    const cmd = program.commands.find((c) => c.name() === name);
    assert.ok(cmd, `${name}: its module registers no command of that name`);
    assert.equal(`${name} ${entry.args}`.trimEnd(), help.subcommandTerm(cmd), `${name}: args`);
    assert.equal(entry.description, help.subcommandDescription(cmd), `${name}: description`);
  }
});

test('every command a module registers has a table entry', async () => {
  const modules = new Set(Object.values(commands).map((e) => e.load));
  for (const load of modules) {
    const program = new Command('hddt-gateway');
    (await load()).register(program);
    for (const cmd of program.commands) assert.ok(Object.hasOwn(commands, cmd.name()), cmd.name());
  }
});
