// The `hddt-gateway` command. Only the module of the sub-command being run is loaded; help loads them all.
import { Command, CommanderError } from 'commander';
import { commands, type CommandLoader } from './commands/index.ts';

const program = new Command('hddt-gateway')
  .description('Edge gateway for glucose devices: BLE/serial drivers, HDDT FHIR + OAuth2 server, MQTT sync')
  .showHelpAfterError()
  .exitOverride();

const wanted = process.argv.slice(2).find((a) => !a.startsWith('-'));
const loaders: CommandLoader[] =
  wanted && commands[wanted] ? [commands[wanted]] : [...new Set(Object.values(commands))];
const registered = new Set<unknown>();
for (const load of loaders) {
  const mod = await load();
  if (registered.has(mod.register)) continue;
  registered.add(mod.register);
  mod.register(program);
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
