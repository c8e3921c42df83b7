// `hddt-gateway demo [--smoke]` (npm run demo): the gateway with simulated devices and the reference DiGA
// client pairing and polling (demo/run.ts). Ctrl-C stops everything (gateway, simulators, socat).
// `--smoke` (or HDDT_DEMO_SMOKE=1) runs one pass, prints the summary and exits 0.
import type { Command } from 'commander';
import { startDemo, type Demo } from '../../demo/run.ts';
import { action, UsageError } from './common.ts';

interface DemoCliOptions {
  dataDir: string;
  port?: string;
  operatorPort?: string;
  speed: string;
  smoke?: boolean;
  verbose?: boolean;
  pollSeconds: string;
}

function int(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer ${min}..${max}`);
  return n;
}

/** Runs the demo until Ctrl-C (or one pass with --smoke). */
async function runDemo(opts: DemoCliOptions): Promise<void> {
  const smoke = opts.smoke === true || process.env.HDDT_DEMO_SMOKE === '1';
  const speed = Number(opts.speed);
  if (!(speed >= 1 && speed <= 3600)) throw new UsageError('--speed must be a number 1..3600');
  const port = int(opts.port, '--port', 0, 65535);
  const operatorPort = int(opts.operatorPort, '--operator-port', 0, 65535);
  const pollSeconds = int(opts.pollSeconds, '--poll-seconds', 1, 86_400)!;
  let demo: Demo | undefined;
  let interrupted = false;
  // First Ctrl-C: stop cleanly; a second one: leave at once.
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stdout.write('stopping…\n');
    void demo?.stop();
  };
  // noble's HCI binding exits the process on SIGINT when its listener is the last one, so ours is
  // (re-)added after the gateway (and with it noble) started.
  const listen = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  };
  listen();
  try {
    demo = await startDemo({
      dataDir: opts.dataDir,
      port,
      operatorPort,
      speed,
      catchUpMinutes: 60,
      historyDays: 14,
      logLevel: opts.verbose ? 'info' : 'warn',
      pollSeconds,
      backfillTimeoutMs: 240_000,
      print: (line) => process.stdout.write(`${line}\n`),
    });
    listen();
    if (interrupted) return;
    await demo.firstPass();
    if (!smoke && !interrupted) {
      process.stdout.write(`polling every ${pollSeconds} s; Ctrl-C stops\n`);
      await demo.keepPolling();
    }
  } catch (err) {
    // Whatever was cut off by Ctrl-C is not a failure.
    if (!interrupted) throw err;
  } finally {
    await demo?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (smoke) process.stdout.write('demo smoke: ok\n');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run the gateway with a simulated BLE CGM and glucose meter, a simulated serial meter, a demo patient ' +
        'and the reference DiGA client; Ctrl-C stops',
    )
    .option(
      '--data-dir <dir>',
      'data folder (database, certificates, demo patient, DiGA client)',
      './data/demo',
    )
    .option(
      '--port <n>',
      'HTTPS port of the gateway (default 8443, or a free one if taken; 0 = any free one)',
    )
    .option(
      '--operator-port <n>',
      'port of the operator status page (default 9464, or a free one if taken; 0 = any free one)',
    )
    .option(
      '--speed <factor>',
      'how fast the CGM catches up on its last hour (60 = a minute per second)',
      '60',
    )
    .option('--poll-seconds <n>', 'seconds between DiGA client polls', '60')
    .option('--smoke', 'one pass: pair, poll, print the summary, exit 0 (also HDDT_DEMO_SMOKE=1)')
    .option('--verbose', 'gateway logs at info level (on stderr)')
    .action(action(runDemo));
}
