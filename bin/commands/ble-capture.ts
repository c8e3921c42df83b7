// `hddt-gateway ble capture --out FILE`: records a glucose meter or CGM (advertising data, GATT values,
// notifications, RACP records) over the gateway's own BLE transport into one file that `hddt-gateway simulate
// --scenario FILE` replays (docs/ble.md, Capturing a device). The file holds the patient's readings: it is written
// readable by its owner only, and the command says so.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { normalizeAddress } from '../../drivers/ble/uuids.ts';
import { action, configFrom, UsageError, withConfigOption } from './common.ts';

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

interface CaptureCliOptions {
  config?: string;
  address?: string;
  seconds: string;
  scanSeconds: string;
  out?: string;
}

function wholeSeconds(value: string, option: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${option} must be a whole number ${min}..${max}, got ${value}`);
  return n;
}

/** Checks everything that needs no radio, so a typo fails at once. */
function checked(opts: CaptureCliOptions) {
  if (!opts.out) throw new UsageError('ble capture needs --out FILE (where the capture is written)');
  const out = path.resolve(opts.out);
  if (!fs.existsSync(path.dirname(out)))
    throw new UsageError(`--out: the folder ${path.dirname(out)} does not exist`);
  let address: string | undefined;
  if (opts.address !== undefined) {
    address = normalizeAddress(opts.address);
    if (!ADDRESS.test(address))
      throw new UsageError(`--address: ${opts.address} is not a Bluetooth address (aa:bb:cc:dd:ee:ff)`);
  }
  return {
    out,
    address,
    listenSeconds: wholeSeconds(opts.seconds, '--seconds', 0, 3600),
    scanSeconds: wholeSeconds(opts.scanSeconds, '--scan-seconds', 1, 600),
  };
}

async function capture(opts: CaptureCliOptions): Promise<void> {
  const o = checked(opts);
  const config = configFrom(opts);
  const { createLogger } = await import('../../gateway/log.ts');
  const { NobleRadio } = await import('../../drivers/ble/noble-transport.ts');
  const { captureDevice } = await import('../../drivers/ble/capture.ts');
  const { nobleInspector } = await import('../../drivers/ble/capture-noble.ts');
  const { capturedRecords, formatCapture } = await import('../../drivers/ble/capture-file.ts');
  const radio = NobleRadio.create(config.ble, createLogger('warn', process.stderr));
  const result = await captureDevice(radio, nobleInspector(radio), {
    ...(o.address ? { address: o.address } : {}),
    scanSeconds: o.scanSeconds,
    listenSeconds: o.listenSeconds,
    timeZone: config.timezone,
    connectTimeoutMs: config.ble.connectTimeoutMs,
    racpTimeoutMs: config.ble.racpTimeoutMs,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  // written beside, then renamed: a capture cut short never leaves half a file
  const partial = `${o.out}.partial`;
  fs.writeFileSync(partial, formatCapture(result), { mode: 0o600 });
  fs.renameSync(partial, o.out);
  const d = result.device;
  const n = capturedRecords(result).records.length;
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  process.stdout.write(
    `wrote ${o.out}: ${d.family === 'cgm' ? 'CGM' : 'glucose meter'} ${d.address}` +
      `${d.name ? ` "${d.name}"` : ''}, ${n} record(s), ${result.exchanges.length} exchange(s)\n`,
  );
  process.stderr.write(
    `${path.basename(o.out)} holds the patient's glucose readings: keep it private and send it only to the ` +
      `hddt-gateway maintainers; replay it with: hddt-gateway simulate --scenario ${o.out}\n`,
  );
}

export function register(program: Command): void {
  const ble = program
    .command('ble')
    .description('BLE field tools: capture a device into a file the simulator replays');

  withConfigOption(ble.command('capture'))
    .description(
      'record a glucose meter or CGM (advertising, GATT values, notifications, RACP records) into a capture file',
    )
    .option(
      '--address <address>',
      'the device to capture (default: the first advertiser of 0x1808 or 0x181F)',
    )
    .option('--seconds <n>', 'how long to listen for live values after the RACP transfer', '10')
    .option('--scan-seconds <n>', 'how long to look for the device', '30')
    .option('--out <file>', 'the capture file to write (required; it holds patient readings)')
    .action(action(capture));
}
