// The `hddt-gateway` command. Only the module of the sub-command being run is loaded; the top-level help and
// an unknown name list the commands from the static table in commands/index.ts without loading any of them.
import fs from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { commands } from './commands/index.ts';

const program = new Command('hddt-gateway')
  .description('Edge gateway for glucose devices: BLE/serial drivers, HDDT FHIR + OAuth2 server, MQTT sync')
  .version(packageVersion())
  .showHelpAfterError()
  .exitOverride();

const args = process.argv.slice(2);
const first = args.findIndex((a) => !a.startsWith('-'));
// `hddt-gateway help decode` shows decode's help: load decode
const named = args[first] === 'help' ? args.slice(first + 1).find((a) => !a.startsWith('-')) : args[first];
const entry = named !== undefined && Object.hasOwn(commands, named) ? commands[named] : undefined;
if (entry) {
  (await entry.load()).register(program);
} else {
  for (const [name, e] of Object.entries(commands)) program.command(name).description(e.description);
  const help = new Help();
  program.configureHelp({
    subcommandTerm: (cmd) =>
      Object.hasOwn(commands, cmd.name())
        ? `${cmd.name()} ${commands[cmd.name()].args}`.trimEnd()
        : help.subcommandTerm(cmd),
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    console.error(`hddt-gateway: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

// bin/cli.ts in a checkout, dist/bin/cli.js when compiled: the package's root is one or two folders up.
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const file = new URL(rel, import.meta.url);
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
