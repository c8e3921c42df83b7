// `hddt-gateway simulate --scenario FILE`: puts simulated BLE sensors (CGM, glucose meter) on a virtual
// HCI controller and prints the pty the gateway's noble should open. Runs until SIGINT/SIGTERM.
import readline from 'node:readline';
import type { Command } from 'commander';
import {
  ScenarioError,
  applyControl,
  loadScenario,
  startSimulation,
  type Scenario,
} from '../../firmware-bridge/peripherals/index.ts';
import { UsageError, action } from './common.ts';

interface SimulateOptions {
  scenario?: string;
  json?: boolean;
  speed?: string;
  control?: boolean;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'simulate BLE glucose sensors from a scenario file on a virtual HCI controller; prints the pty for noble',
    )
    .option('-s, --scenario <file>', 'scenario file (JSON, see firmware-bridge/peripherals/README.md)')
    .option('--json', 'print the pty path and the peripherals as one JSON line')
    .option(
      '--speed <factor>',
      'time factor for live CGM records, overriding the scenario (60 = a minute per second)',
    )
    .option('--control', 'read JSON control commands from stdin (faults, measurements), one reply per line')
    .action(
      action(async (opts: SimulateOptions) => {
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
        let sim;
        try {
          sim = await startSimulation(scenario);
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
        const description = sim.describe();
        process.stdout.write(opts.json ? `${JSON.stringify(description)}\n` : `pty: ${description.pty}\n`);
        const control = opts.control
          ? readline.createInterface({ input: process.stdin, terminal: false })
          : undefined;
        control?.on('line', (line) => {
          if (line.trim() !== '') process.stdout.write(`${JSON.stringify(applyControl(sim, line))}\n`);
        });
        await stopped;
        control?.close();
        await sim.close();
      }),
    );
}
