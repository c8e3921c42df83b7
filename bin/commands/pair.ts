// `hddt-gateway pair scan|add|list|remove`: which BLE glucose meters and CGMs the gateway reads. By default it
// connects only to the devices added here or listed in ble.allowList (docs/ble.md, Device choice); the running
// gateway picks up a change without a restart. With ble.driver "dbus", `add` also bonds the device through
// BlueZ (the gateway's own Agent1: Just Works, a passkey given or prompted for, numeric comparison) and `remove`
// makes BlueZ forget it; the HCI/UART path cannot bond with a passkey, so there `add` only lists the device.
import type { Command } from 'commander';
import type { PairingPrompts } from '../../drivers/ble/bluez-pairing.ts';
import { PairedDevices } from '../../drivers/ble/paired-devices.ts';
import { normalizeAddress } from '../../drivers/ble/uuids.ts';
import { action, configFrom, UsageError, withConfigOption } from './common.ts';

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function address(value: string): string {
  const a = normalizeAddress(value);
  if (!ADDRESS.test(a)) throw new UsageError(`${value} is not a Bluetooth address (aa:bb:cc:dd:ee:ff)`);
  return a;
}

function pairedOf(
  opts: { config?: string },
  config = configFrom(opts),
): { paired: PairedDevices; allowList: Set<string> } {
  return {
    paired: new PairedDevices(config.ble.pairedFile),
    allowList: new Set(config.ble.allowList.map(normalizeAddress)),
  };
}

async function scan(opts: { config?: string; seconds: string; json?: boolean }): Promise<void> {
  const seconds = Number(opts.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600)
    throw new UsageError(`--seconds must be a whole number 1..600, got ${opts.seconds}`);
  const config = configFrom(opts);
  const { paired, allowList } = pairedOf(opts, config);
  const { createLogger } = await import('../../gateway/log.ts');
  const { NobleRadio } = await import('../../drivers/ble/noble-transport.ts');
  const { scanNearby } = await import('../../drivers/ble/pair-scan.ts');
  const radio = NobleRadio.create(config.ble, createLogger('warn', process.stderr));
  const found = await scanNearby(radio, {
    seconds,
    isKnown: (a) => allowList.has(a) || paired.has(a),
    onUpdate: (d) => {
      if (opts.json) process.stdout.write(`${JSON.stringify(d)}\n`);
      else
        process.stdout.write(
          `${d.address}  ${d.family.padEnd(7)}  ${String(d.rssi).padStart(4)} dBm  ` +
            `${d.known ? 'added  ' : 'unknown'}  ${d.name ?? ''}\n`,
        );
    },
  });
  if (!opts.json) process.stderr.write(`${found.length} device(s) seen in ${seconds} s\n`);
}

function parsePasskey(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{6}$/.test(value))
    throw new UsageError(`--passkey must be the 6 digits the meter shows, got ${value}`);
  return Number(value);
}

async function ask(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** What the agent answers: the passkey given, or the operator's answer at the prompt. */
function promptsFor(passkey: number | undefined, prompt: boolean): PairingPrompts {
  return {
    passkey: async () => {
      if (passkey !== undefined) return passkey;
      if (!prompt) throw new UsageError('the meter asks for a passkey: give --passkey N or --prompt');
      return Number(await ask('passkey shown on the meter: '));
    },
    confirm: async (_device, n) => {
      const shown = String(n).padStart(6, '0');
      if (passkey !== undefined) return passkey === n;
      if (!prompt)
        throw new UsageError(`the meter should show ${shown}: confirm with --prompt or --passkey ${shown}`);
      return /^y(es)?$/i.test(await ask(`does the meter show ${shown}? [y/N] `));
    },
  };
}

async function add(
  addr: string,
  opts: { config?: string; name?: string; passkey?: string; prompt?: boolean },
) {
  const a = address(addr);
  const passkey = parsePasskey(opts.passkey);
  const config = configFrom(opts);
  let bonded = false;
  if (config.ble.driver === 'dbus') {
    const { bluezPair } = await import('../../drivers/ble/bluez-pairing.ts');
    await bluezPair(
      { address: a, adapterIndex: config.ble.hciDeviceId },
      promptsFor(passkey, opts.prompt === true),
    );
    bonded = true;
  } else if (passkey !== undefined || opts.prompt) {
    throw new UsageError(
      `bonding with a passkey needs ble.driver "dbus" (BlueZ); ble.driver is "${config.ble.driver}"`,
    );
  }
  const { paired } = pairedOf(opts, config);
  const entry = paired.add({ address: a, ...(opts.name ? { name: opts.name } : {}), bonded });
  process.stdout.write(`${bonded ? 'bonded and added' : 'added'} ${entry.address}\n`);
}

async function remove(addr: string, opts: { config?: string }) {
  const a = address(addr);
  const config = configFrom(opts);
  const listed = pairedOf(opts, config).paired.remove(a);
  let forgotten = false;
  if (config.ble.driver === 'dbus') {
    const { bluezUnpair } = await import('../../drivers/ble/bluez-pairing.ts');
    forgotten = await bluezUnpair({ address: a, adapterIndex: config.ble.hciDeviceId });
  }
  if (!listed && !forgotten) throw new UsageError(`${a} was not added with pair add`);
  process.stdout.write(`removed ${a}\n`);
}

export function register(program: Command): void {
  const pair = program
    .command('pair')
    .description('BLE devices the gateway reads: scan nearby ones, add, list, remove');

  withConfigOption(pair.command('scan'))
    .description('list nearby glucose meters and CGMs (address, RSSI, name, added or not) as they are seen')
    .option('--seconds <n>', 'how long to scan', '10')
    .option('--json', 'one JSON object per line')
    .action(action(scan));

  withConfigOption(pair.command('add <address>'))
    .description('read this device from now on (the running gateway connects at its next advertisement)')
    .option('--name <name>', 'a name for the operator')
    .option('--passkey <digits>', 'ble.driver dbus: the passkey the meter shows (passkey entry / comparison)')
    .option('--prompt', 'ble.driver dbus: ask for the passkey or the comparison when the meter wants it')
    .action(action(add));

  withConfigOption(pair.command('list'))
    .description('the devices added with pair add, and the ones in ble.allowList')
    .option('--json', 'as JSON')
    .action(
      action((opts: { config?: string; json?: boolean }) => {
        const { paired, allowList } = pairedOf(opts);
        const rows = [
          ...paired.list().map((d) => ({ ...d, source: 'paired' })),
          ...[...allowList].map((a) => ({ address: a, source: 'allowList' })),
        ];
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const r of rows)
            process.stdout.write(`${r.address}  ${r.source}  ${'name' in r ? (r.name ?? '') : ''}\n`);
      }),
    );

  withConfigOption(pair.command('remove <address>'))
    .description('stop reading a device added with pair add (its stored readings stay)')
    .action(action(remove));
}
