// HDDT §4.6: planned maintenance is announced at least five business days ahead. Business days are Monday to
// Friday in UTC; public holidays differ per German state and are not counted out.

/** The notice HDDT asks for planned maintenance (security fixes excepted). */
export const MAINTENANCE_NOTICE_BUSINESS_DAYS = 5;

/** Business days (Mon–Fri, UTC) from a to b, counting whole days after a's day up to b's day. */
export function businessDaysBetween(aMs: number, bMs: number): number {
  let n = 0;
  const d = new Date(aMs);
  d.setUTCHours(0, 0, 0, 0);
  const end = new Date(bMs);
  end.setUTCHours(0, 0, 0, 0);
  while (d < end) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) n++;
  }
  return n;
}
