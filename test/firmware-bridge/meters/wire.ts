// Test helper: the gateway end of a simulated meter's pty as a raw byte pipe (no driver code involved).
import type { TestContext } from 'node:test';
import { SerialPort } from 'serialport';
import { createMeterPty } from '../../../firmware-bridge/meters/pty-pair.ts';
import type { Scenario } from '../../../firmware-bridge/meters/scenario.ts';
import { startMeter } from '../../../firmware-bridge/meters/simulator.ts';

export interface Wire {
  send(bytes: Uint8Array | string): void;
  /** Resolves with everything received once `done(bytes)` holds (or rejects after `ms`). */
  until(done: (received: Buffer) => boolean, ms?: number): Promise<Buffer>;
  clear(): void;
}

export async function wire(t: TestContext, scenario: Scenario): Promise<Wire> {
  const pty = await createMeterPty();
  const meter = await startMeter(scenario, { path: pty.meterPath, onUnplug: () => pty.close() });
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: pty.gatewayPath, baudRate: 9600 }, (err) =>
      err ? reject(err) : resolve(p),
    );
  });
  let received = Buffer.alloc(0);
  port.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  port.on('error', () => {});
  t.after(async () => {
    if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await meter.stop();
    await pty.close();
  });
  return {
    send: (bytes) =>
      port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes)),
    clear: () => (received = Buffer.alloc(0)),
    until: async (done, ms = 5000) => {
      const end = Date.now() + ms;
      while (!done(received)) {
        if (Date.now() > end) throw new Error(`timed out; received ${received.toString('hex')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return received;
    },
  };
}
