// `hddt-gateway simulate --scenario FILE`: puts simulated BLE sensors (CGM, glucose meter) on a virtual HCI
// controller and prints the pty the gateway's noble should open; or, with --adapter, on real Bluetooth adapters
// through bleno (one adapter per simulated device), for phone apps and other hubs. Runs until SIGINT/SIGTERM.
import readline from 'node:readline';
import type { Command } from 'commander';
import {
  ScenarioError,
  applyControl,
  loadScenario,
  startBlenoSimulation,
  startSimulation,
  type AnySimulator,
  type Scenario,
} from '../../firmware-bridge/peripherals/index.ts';
import { UsageError, action } from './common.ts';

interface SimulateOptions {
  scenario?: string;
  json?: boolean;
  speed?: string;
  control?: boolean;
  adapter: string[];
  peripheral: string[];
  baudRate?: string;
  deviceAddress?: boolean;
}

/** What either way of running prints, and how it stops. */
interface Running {
  simulators: readonly AnySimulator[];
  line(json: boolean): string;
  close(): Promise<void>;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'simulate BLE glucose sensors from a scenario file on a virtual HCI controller (prints the pty for noble), ' +
        'or on real Bluetooth adapters with --adapter',
    )
    .option('-s, --scenario <file>', 'scenario file (JSON, see firmware-bridge/peripherals/README.md)')
    .option('--json', 'print the pty path (or the adapters) and the peripherals as one JSON line')
    .option(
      '--speed <factor>',
      'time factor for live CGM records, overriding the scenario (60 = a minute per second)',
    )
    .option('--control', 'read JSON control commands from stdin (faults, measurements), one reply per line')
    .option(
      '--adapter <hciN|path>',
      'run on a real adapter through bleno: hci0 (HCI socket) or a UART HCI dongle (/dev/ttyACM0); ' +
        'once per simulated device, in scenario order',
      collect,
      [],
    )
    .option('--peripheral <address>', 'only this scenario peripheral (repeatable)', collect, [])
    .option('--baud-rate <n>', 'UART baud rate for a serial --adapter (default 1000000)')
    .option(
      '--device-address',
      "give the adapter the scenario's device address (vendor command; Zephyr, TI, BCM…)",
    )
    .action(
      action(async (opts: SimulateOptions) => {
        const scenario = scenarioFrom(opts);
        let running: Running;
        try {
          running =
            opts.adapter.length > 0 ? await onAdapters(scenario, opts) : await onVirtualController(scenario);
        } catch (e) {
          if (e instanceof ScenarioError) throw new UsageError(e.message);
          throw e;
        }
        // handlers first: a caller may send SIGTERM the moment it reads the line, and a signal arriving before
        // the handler exists kills the process with the default action instead of a clean exit 0
        const stopped = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        process.stdout.write(`${running.line(opts.json === true)}\n`);
        const control = opts.control
          ? readline.createInterface({ input: process.stdin, terminal: false })
          : undefined;
        control?.on('line', (line) => {
          if (line.trim() !== '') process.stdout.write(`${JSON.stringify(applyControl(running, line))}\n`);
        });
        await stopped;
        control?.close();
        await running.close();
      }),
    );
}

/** The scenario file with --speed and --peripheral applied; usage errors name the problem. */
function scenarioFrom(opts: SimulateOptions): Scenario {
  if (!opts.scenario) throw new UsageError('simulate needs --scenario FILE');
  let scenario: Scenario;
  try {
    scenario = loadScenario(opts.scenario);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.problems.join('; '));
    throw e;
  }
  if (opts.speed !== undefined) {
    const speed = Number(opts.speed);
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new UsageError(`--speed must be a number above 0, got ${opts.speed}`);
    }
    scenario = {
      ...scenario,
      speed,
      peripherals: scenario.peripherals.map((p) => (p.kind === 'cgm' ? { ...p, speed } : p)),
    };
  }
  if (opts.peripheral.length > 0) {
    const wanted = new Set(opts.peripheral.map((a) => a.toLowerCase()));
    const peripherals = scenario.peripherals.filter((p) => wanted.has(p.address.toLowerCase()));
    if (peripherals.length !== wanted.size) {
      const known = scenario.peripherals.map((p) => p.address).join(', ');
      throw new UsageError(`--peripheral names an address the scenario does not have (it has ${known})`);
    }
    scenario = { ...scenario, peripherals };
  }
  return scenario;
}

async function onVirtualController(scenario: Scenario): Promise<Running> {
  const sim = await startSimulation(scenario);
  return {
    simulators: sim.simulators,
    line: (json) => (json ? JSON.stringify(sim.describe()) : `pty: ${sim.ptyPath}`),
    close: () => sim.close(),
  };
}

async function onAdapters(scenario: Scenario, opts: SimulateOptions): Promise<Running> {
  const baudRate = opts.baudRate === undefined ? undefined : Number(opts.baudRate);
  if (baudRate !== undefined && !(Number.isInteger(baudRate) && baudRate > 0)) {
    throw new UsageError(`--baud-rate must be a whole number above 0, got ${opts.baudRate}`);
  }
  const sim = await startBlenoSimulation(scenario, {
    adapters: opts.adapter,
    ...(baudRate !== undefined ? { baudRate } : {}),
    useDeviceAddress: opts.deviceAddress === true,
  });
  return {
    simulators: sim.simulators,
    line: (json) =>
      json
        ? JSON.stringify(sim.describe())
        : sim
            .describe()
            .peripherals.map(
              (p) => `${p.kind} ${p.address} on ${p.adapter} (advertising as ${p.adapterAddress})`,
            )
            .join('\n'),
    close: () => sim.close(),
  };
}
