// `hddt-gateway certs dev --out DIR`: development CA, server certificate and DiGA client certificates, plus
// a configuration file (DIR/hddt-gateway.json) pointing the server at them, also printed for pasting.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { devServerConfig, generateDevCertificates } from '../../server/dev-certs.ts';

const CONFIG_FILE_NAME = 'hddt-gateway.json';

export function register(program: Command): void {
  const certs = program.command('certs').description('Certificates for development and tests');
  certs
    .command('dev')
    .description(
      'Make a local CA, a server certificate (localhost, 127.0.0.1), DiGA client certificates, a DiGA directory ' +
        `and ${CONFIG_FILE_NAME}, the configuration lines that point server.tls and server.directory.source at them`,
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--clients <n>', 'number of DiGA client certificates', '2')
    .option('--days <n>', 'validity in days', '365')
    .option('--host <name...>', 'extra DNS names for the server certificate')
    .action(async (opts: { out: string; clients: string; days: string; host?: string[] }) => {
      const clients = Number(opts.clients);
      const days = Number(opts.days);
      if (!Number.isInteger(clients) || clients < 0 || clients > 1000) {
        console.error('hddt-gateway certs dev: --clients must be an integer 0..1000');
        process.exit(2);
      }
      if (!Number.isInteger(days) || days < 1 || days > 398) {
        console.error('hddt-gateway certs dev: --days must be an integer 1..398');
        process.exit(2);
      }
      const out = await generateDevCertificates({
        outDir: opts.out,
        clients,
        days,
        hostnames: ['localhost', ...(opts.host ?? [])],
      });
      console.log(`CA:        ${out.caFile}`);
      console.log(`server:    ${out.serverCertFile} ${out.serverKeyFile}`);
      for (const c of out.clients) console.log(`client:    ${c.clientId} ${c.certFile} ${c.keyFile}`);
      console.log(`directory: ${out.directoryFile}`);
      const configText = JSON.stringify(devServerConfig(out), null, 2) + '\n';
      const configFile = path.join(out.dir, CONFIG_FILE_NAME);
      fs.writeFileSync(configFile, configText, { mode: 0o644 });
      console.log(`config:    ${configFile}`);
      console.log('');
      console.log(`Start the HTTPS server with these files: hddt-gateway run --config ${configFile}`);
      console.log('or put these lines into your own configuration file:');
      process.stdout.write(configText);
    });
}
