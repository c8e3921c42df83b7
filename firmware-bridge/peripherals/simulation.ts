// A running scenario: the virtual controller on its pty plus one simulator per scenario peripheral. The same
// simulators run on real adapters through bleno (bleno-simulation.ts).
import { VirtualController, type ControllerOptions, type PeripheralHost } from '../hci/index.ts';
import { CgmSimulator } from './cgm-simulator.ts';
import { GlucoseMeterSimulator } from './glucose-meter-simulator.ts';
import { ScenarioError, type Scenario } from './scenario.ts';

export type AnySimulator = CgmSimulator | GlucoseMeterSimulator;

export interface PeripheralDescription {
  kind: 'cgm' | 'glucose';
  address: string;
  name: string;
  serial: string;
  serviceUuid: string;
  records: number;
}

export interface SimulationDescription {
  pty: string;
  peripherals: PeripheralDescription[];
}

export interface Simulation {
  readonly controller: VirtualController;
  /** the pty end to hand to noble (bindParams.uart.port or BLUETOOTH_HCI_SOCKET_UART_PORT) */
  readonly ptyPath: string;
  readonly simulators: readonly AnySimulator[];
  cgm(address: string): CgmSimulator;
  meter(address: string): GlucoseMeterSimulator;
  describe(): SimulationDescription;
  /** closes the simulators, then the controller (which kills socat); safe to call twice */
  close(): Promise<void>;
}

export interface SimulationOptions {
  controller?: ControllerOptions;
}

export async function startSimulation(scenario: Scenario, opts: SimulationOptions = {}): Promise<Simulation> {
  const controller = await VirtualController.start({
    ...(scenario.controller?.address ? { address: scenario.controller.address } : {}),
    ...opts.controller,
  });
  const simulators: AnySimulator[] = [];
  const closeAll = async () => {
    for (const s of simulators) s.close();
    await controller.close();
  };
  try {
    addSimulators(scenario, () => controller, simulators);
  } catch (e) {
    await closeAll();
    throw e;
  }
  let closing: Promise<void> | null = null;
  const find = (address: string) => {
    const a = address.toLowerCase();
    return simulators.find((s) => s.address === a);
  };
  return {
    controller,
    ptyPath: controller.hostPath,
    simulators,
    cgm(address) {
      const s = find(address);
      if (!(s instanceof CgmSimulator)) throw new Error(`no simulated CGM at ${address}`);
      return s;
    },
    meter(address) {
      const s = find(address);
      if (!(s instanceof GlucoseMeterSimulator)) throw new Error(`no simulated glucose meter at ${address}`);
      return s;
    },
    describe: () => ({ pty: controller.hostPath, peripherals: simulators.map(describeSimulator) }),
    close: () => (closing ??= closeAll()),
  };
}

/**
 * One simulator per scenario peripheral, each on the host `hostFor` gives for its index, pushed onto `into` as it
 * is made (so a caller can close those already made when a later one fails). Throws ScenarioError naming it.
 */
export function addSimulators(
  scenario: Scenario,
  hostFor: (index: number) => PeripheralHost,
  into: AnySimulator[],
): void {
  scenario.peripherals.forEach((p, i) => {
    try {
      if (p.kind === 'cgm') {
        const { kind: _kind, sessionStart, ...rest } = p;
        into.push(
          new CgmSimulator(hostFor(i), {
            ...rest,
            ...(sessionStart !== undefined && sessionStart !== 'auto' ? { sessionStart } : {}),
            ...(rest.speed === undefined && scenario.speed !== undefined ? { speed: scenario.speed } : {}),
          }),
        );
      } else {
        const { kind: _kind, ...rest } = p;
        into.push(new GlucoseMeterSimulator(hostFor(i), rest));
      }
    } catch (e) {
      throw new ScenarioError(`scenario peripherals[${i}] (${p.address}): ${(e as Error).message}`);
    }
  });
}

export function describeSimulator(s: AnySimulator): PeripheralDescription {
  return {
    kind: s.kind,
    address: s.address,
    name: s.name,
    serial: s.serial,
    serviceUuid: s.kind === 'cgm' ? '181f' : '1808',
    records: s.records.length,
  };
}
