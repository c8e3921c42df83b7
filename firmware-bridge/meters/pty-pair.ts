// A pseudo-terminal pair made by socat: the simulated meter opens one end, the gateway the other, exactly as
// it would open /dev/ttyUSB0. Killing socat is "pulling the cable": the gateway's port sees the line vanish.
import { createSocatPty } from '../socat-pty.ts';

export interface MeterPtyPair {
  /** The end the simulated meter opens. */
  readonly meterPath: string;
  /** The end the gateway opens (what a USB-serial adapter would be). */
  readonly gatewayPath: string;
  /** Kills socat and removes the links; safe to call twice. */
  close(): Promise<void>;
}

export interface MeterPtyOptions {
  socatPath?: string;
  /** Directory for the two symlinks; a fresh temp dir (removed on close) by default. */
  dir?: string;
  /** Link names inside `dir`. */
  names?: { meter: string; gateway: string };
  timeoutMs?: number;
}

export async function createMeterPty(opts: MeterPtyOptions = {}): Promise<MeterPtyPair> {
  const pty = await createSocatPty({
    socatPath: opts.socatPath,
    dir: opts.dir,
    timeoutMs: opts.timeoutMs,
    names: [opts.names?.meter ?? 'meter', opts.names?.gateway ?? 'gateway'],
    tempPrefix: 'meter-pty-',
  });
  return { meterPath: pty.paths[0], gatewayPath: pty.paths[1], close: pty.close };
}
