// The log lines of a cable meter's dump in the running gateway, the same for serial and USB meters.
import type { MeterDumpResult } from '../drivers/serial/meter-visit.ts';
import type { Logger } from '../gateway/log.ts';

/** `where` names the port or device node; `what` is how the log calls the meter ("meter", "USB meter"). */
export function logDump(
  log: Logger,
  where: Record<string, string>,
  r: MeterDumpResult<string>,
  what: string,
): void {
  const summary = {
    ...where,
    device: r.deviceKey,
    read: r.read,
    stored: r.stored,
    duplicates: r.duplicates,
    rejected: r.rejected.length,
  };
  if (r.error)
    log.warn({ ...summary, error: r.error.message }, `${what} dump ended early; complete records are stored`);
  else log.info(summary, `${what} dumped`);
}
