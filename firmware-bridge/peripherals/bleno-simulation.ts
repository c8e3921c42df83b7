// A running scenario on real Bluetooth adapters: one bleno host (bleno-adapter.ts) per scenario peripheral, each
// running the same simulator as the virtual controller does.
import { BlenoHost, type BlenoHostOptions } from './bleno-adapter.ts';
import { ScenarioError, type Scenario } from './scenario.ts';
import {
  addSimulators,
  describeSimulator,
  type AnySimulator,
  type PeripheralDescription,
} from './simulation.ts';

export interface BlenoSimulationOptions extends Omit<BlenoHostOptions, 'adapter'> {
  /** one adapter per scenario peripheral, in scenario order ("hci0", "/dev/ttyACM0") */
  adapters: readonly string[];
}

export interface BlenoPeripheralDescription extends PeripheralDescription {
  adapter: string;
  /** the address centrals see: the adapter's (or the scenario's, with useDeviceAddress on a controller that takes it) */
  adapterAddress: string;
}

export interface BlenoSimulation {
  readonly hosts: readonly BlenoHost[];
  readonly simulators: readonly AnySimulator[];
  describe(): { peripherals: BlenoPeripheralDescription[] };
  /** closes the simulators, then bleno on each adapter; safe to call twice */
  close(): Promise<void>;
}

export async function startBlenoSimulation(
  scenario: Scenario,
  opts: BlenoSimulationOptions,
): Promise<BlenoSimulation> {
  const n = scenario.peripherals.length;
  if (opts.adapters.length !== n) {
    throw new ScenarioError(
      `the scenario has ${n} peripheral(s) and ${opts.adapters.length} adapter(s) were given: bleno serves one ` +
        'device per adapter, give one adapter per peripheral (or a scenario with one peripheral)',
    );
  }
  const hosts: BlenoHost[] = [];
  const simulators: AnySimulator[] = [];
  const closeAll = async () => {
    for (const s of simulators) s.close();
    for (const h of hosts) await h.close();
  };
  try {
    for (const adapter of opts.adapters) hosts.push(await BlenoHost.start({ ...opts, adapter }));
    addSimulators(scenario, (i) => hosts[i], simulators);
    await Promise.all(hosts.map((h) => h.ready()));
  } catch (e) {
    await closeAll();
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    hosts,
    simulators,
    describe: () => ({
      peripherals: simulators.map((s, i) => ({
        ...describeSimulator(s),
        adapter: hosts[i].adapter,
        adapterAddress: hosts[i].address,
      })),
    }),
    close: () => (closing ??= closeAll()),
  };
}
