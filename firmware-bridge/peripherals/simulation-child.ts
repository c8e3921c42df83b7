// The child side of startSimulationProcess(): runs a scenario (virtual controller + simulators) in its own
// process, as real sensors run on their own hardware, and talks to the parent over the IPC channel.
// Messages are described in simulation-process.ts.
import { pushPackets } from '../hci/index.ts';
import type { Scenario } from './scenario.ts';
import { startSimulation, type Simulation } from './simulation.ts';
import type { ChildMessage, ParentMessage } from './simulation-process.ts';

const send = (m: ChildMessage): void => {
  process.send?.(m);
};
const now = (): string => process.hrtime.bigint().toString();

let sim: Simulation | null = null;
let capturing = false;
let captured: Buffer[] = [];
let closing = false;

async function start(scenario: Scenario, capture: boolean): Promise<void> {
  sim = await startSimulation(scenario, {
    controller: capture
      ? {
          trace: (direction, packet) => {
            if (capturing && direction === 'out' && Buffer.isBuffer(packet))
              captured.push(Buffer.from(packet));
          },
        }
      : {},
  });
  for (const s of sim.simulators) {
    s.on('racp', (entry) => {
      // capture starts with the request, as the transfer does
      if (capture) {
        captured = [];
        capturing = true;
      }
      send({ type: 'racp', address: s.address, hex: entry.hex, at: now() });
    });
    s.on('transfer-end', (end) => {
      capturing = false;
      send({ type: 'transfer-end', address: s.address, end, at: now() });
    });
  }
  send({ type: 'ready', description: sim.describe() });
}

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await sim?.close();
  process.disconnect?.();
}

process.on('message', (raw) => {
  const m = raw as ParentMessage;
  const reply = (p: Promise<ChildMessage | null>) =>
    p.then(
      (r) => r && send(r),
      (e: unknown) => send({ type: 'error', id: 'id' in m ? m.id : undefined, message: String(e) }),
    );
  switch (m.type) {
    case 'start':
      void reply(start(m.scenario, m.capture).then(() => null));
      break;
    case 'captured':
      void reply(
        Promise.resolve({
          type: 'captured',
          id: m.id,
          packets: captured.length,
          bytes: captured.reduce((n, b) => n + b.length, 0),
          data: m.withData ? Buffer.concat(captured) : undefined,
        } satisfies ChildMessage),
      );
      break;
    case 'push-captured':
      // the writing end of the byte-rate ceiling, in this process as the controller is
      void reply(
        pushPackets(m.path, captured, m.baudRate).then((start): ChildMessage => ({
          type: 'pushed',
          id: m.id,
          start: start.toString(),
        })),
      );
      break;
    case 'close':
      void close();
      break;
  }
});

// the parent went away: do not outlive it (socat would keep the pty alive)
process.on('disconnect', () => {
  void (async () => {
    if (!closing) {
      closing = true;
      await sim?.close();
    }
    process.exit(0);
  })();
});
