// `hddt-gateway certs dev --out DIR`: development CA, server certificate and DiGA client certificates.
import type { Command } from 'commander';
import { generateDevCertificates } from '../../server/dev-certs.ts';

export function register(program: Command): void {
  const certs = program.command('certs').description('Certificates for development and tests');
  certs
    .command('dev')
    .description(
      'Make a local CA, a server certificate (localhost, 127.0.0.1), DiGA client certificates and a DiGA directory',
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
    });
}
