// CGM Session Run Time (0x2AAB, spec A.4): expected run time of the session in HOURS + optional E2E-CRC.
import { CodecError } from './codec-error.ts';
import { appendCrc, readTrailingCrc } from './crc16-mcrf4xx.ts';
import type { CrcOptions, CrcStatus } from './crc16-mcrf4xx.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';

export interface CgmSessionRunTime {
  readonly runTimeHours: number;
  readonly crc: CrcStatus;
}

export function decodeCgmSessionRunTime(
  bytes: Uint8Array,
  opts: CrcOptions = { crc: false },
): CgmSessionRunTime {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const runTimeHours = r.u16('CGM Session Run Time');
  const crc = readTrailingCrc(r, 0, opts, 'CGM Session Run Time');
  return { runTimeHours, crc };
}

export function encodeCgmSessionRunTime(
  v: Omit<CgmSessionRunTime, 'crc'>,
  opts: CrcOptions = { crc: false },
): Uint8Array {
  const w = new LeWriter().u16(v.runTimeHours, 'run time hours');
  appendCrc(w, opts);
  return w.toBytes();
}
