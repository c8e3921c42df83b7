// Where a meter's backfill starts: the epoch to store in and the last sequence stored in it, after checking the
// meter's record store for a sequence reset (sequence-reset.ts). The meter's fingerprint is written before the
// records are read, so a visit cut short resumes in the same epoch instead of starting yet another one.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { Logger } from '../../gateway/log.ts';
import { probeMeter, recordAt, type ProbeChannel } from './gls-probe.ts';
import type { MeterMemory } from './meter-memory.ts';
import { confirmFewer, currentPosition, detectReset } from './sequence-reset.ts';

export interface PositionDeps {
  deviceKey: string;
  port: ReadingPort;
  memory: MeterMemory;
  channel: ProbeChannel;
  log: Logger;
  now: Date;
}

export async function findPosition(d: PositionDeps): Promise<{ epoch: number; lastSeq: number | null }> {
  const memo = d.memory.get(d.deviceKey);
  if (d.memory.loadError) {
    d.log.error(
      { reason: d.memory.loadError },
      'meter state file unreadable; reset detection uses the store only',
    );
    d.memory.loadError = null;
  }
  const position = currentPosition(d.port.lastRecordNumber(d.deviceKey), memo);
  const probe = await probeMeter(d.channel);
  let verdict = detectReset(probe, position.lastSeq, memo);
  if (verdict.reset === 'check' && probe.count !== null && memo?.count != null)
    verdict = confirmFewer(
      verdict.mark,
      await recordAt(d.channel, verdict.mark.seq),
      probe.count,
      memo.count,
    );
  let { epoch, lastSeq } = position;
  if (verdict.reset === true) {
    epoch++;
    lastSeq = null;
    d.log.warn(
      { reason: verdict.reason, detail: verdict.detail, epoch, records: probe.count },
      'glucose meter sequence reset (battery change or factory reset?); reading all its records as a new epoch',
    );
  }
  d.memory.set(d.deviceKey, { epoch, ...probe, seenAt: d.now.toISOString() });
  return { epoch, lastSeq };
}
