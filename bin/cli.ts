// The `hddt-gateway` command: each sub-command lives in bin/commands/<name>.ts and registers itself here.
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';

const program = new Command('hddt-gateway')
  .description('Edge gateway for glucose devices: BLE/serial drivers, HDDT FHIR + OAuth2 server, MQTT sync')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

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
