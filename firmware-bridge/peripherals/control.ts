// Runtime control of a running simulation from another process (`simulate --control`): one JSON object
// per line in, one JSON reply per line out. Lets an end-to-end test switch faults on while the gateway
// is connected, add a meter reading, or read back what RACP requests arrived.
import { CgmSimulator } from './cgm-simulator.ts';
import type { FaultsInput } from './faults.ts';
import { GlucoseMeterSimulator, type GlucoseRecordSpec } from './glucose-meter-simulator.ts';
import type { Simulation } from './simulation.ts';

export interface ControlCommand {
  address: string;
  faults?: FaultsInput;
  /** send one malformed notification now */
  malformed?: boolean;
  /** glucose meter: add a measurement (notified when subscribed) */
  measurement?: GlucoseRecordSpec;
  /** glucose meter: clear the memory and start numbering over (battery change), with `count` new records */
  resetSequence?: { count?: number; spacingMinutes?: number };
  /** glucose meter with bond "required": the link is bonded now (stands in for BlueZ pairing) */
  bonded?: boolean;
  /** CGM: advance one interval now */
  tick?: boolean;
  /** CGM: Status annunciation octets */
  status?: { status?: number; calTemp?: number; warning?: number };
  dropLink?: boolean;
  /** reply with the RACP (and SOCP) requests received so far, as hex */
  requests?: boolean;
  clearLogs?: boolean;
}

export type ControlReply = { ok: true; [k: string]: unknown } | { ok: false; error: string };

export function applyControl(sim: Pick<Simulation, 'simulators'>, line: string): ControlReply {
  let cmd: ControlCommand;
  try {
    cmd = JSON.parse(line) as ControlCommand;
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (typeof cmd !== 'object' || cmd === null || typeof cmd.address !== 'string') {
    return { ok: false, error: 'a command is an object with an "address"' };
  }
  const s = sim.simulators.find((x) => x.address === cmd.address.toLowerCase());
  if (!s) return { ok: false, error: `no simulated peripheral at ${cmd.address}` };
  const reply: { ok: true; [k: string]: unknown } = { ok: true, address: s.address };
  try {
    if (cmd.faults) reply.faults = s.setFaults(cmd.faults);
    if (cmd.status) {
      if (!(s instanceof CgmSimulator)) throw new Error('status applies to a CGM');
      s.setStatus(cmd.status);
    }
    if (cmd.measurement) {
      if (!(s instanceof GlucoseMeterSimulator)) throw new Error('measurement applies to a glucose meter');
      reply.sequence = s.addMeasurement(cmd.measurement).sequence;
    }
    if (cmd.resetSequence) {
      if (!(s instanceof GlucoseMeterSimulator)) throw new Error('resetSequence applies to a glucose meter');
      s.resetSequence(cmd.resetSequence);
      reply.records = s.records.length;
    }
    if (cmd.bonded !== undefined) {
      if (!(s instanceof GlucoseMeterSimulator)) throw new Error('bonded applies to a glucose meter');
      s.bonded = cmd.bonded;
    }
    if (cmd.tick) {
      if (!(s instanceof CgmSimulator)) throw new Error('tick applies to a CGM');
      reply.timeOffset = s.tick()?.timeOffset ?? null;
    }
    if (cmd.malformed) reply.sent = s.sendMalformedNotification();
    if (cmd.dropLink) s.peripheral.dropLink();
    if (cmd.requests) {
      reply.racp = s.racpRequests.map((r) => r.hex);
      if (s instanceof CgmSimulator) reply.socp = s.socpRequests.map((r) => r.hex);
    }
    if (cmd.clearLogs) s.clearLogs();
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return reply;
}
