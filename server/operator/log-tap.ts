// Feeds the recent-errors ring from the process logger: wraps warn/error/fatal of a pino logger so that every
// child logger (they inherit the methods through the prototype chain) reports too. Only the message, the
// component binding and an error's message are kept, never the other fields (they may carry identifiers).
import type { Logger } from '../../gateway/log.ts';
import type { EventRing, RecentEvent } from './probes.ts';

type LogFn = (this: Logger, ...args: unknown[]) => void;

const MAX_MESSAGE = 240;

function describe(args: unknown[]): string {
  const [first, second] = args;
  let msg = '';
  let detail = '';
  if (typeof first === 'string') msg = first;
  else if (first instanceof Error) msg = typeof second === 'string' ? second : first.message;
  else if (first && typeof first === 'object') {
    if (typeof second === 'string') msg = second;
    const o = first as { err?: unknown; reason?: unknown };
    if (o.err instanceof Error) detail = o.err.message;
    else if (typeof o.reason === 'string') detail = o.reason;
  }
  const text = detail && detail !== msg ? `${msg}: ${detail}` : msg || detail;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

/** Starts recording; returns the function that restores the logger. */
export function tapLogger(log: Logger, ring: EventRing, now: () => number = Date.now): () => void {
  const levels: Array<RecentEvent['level']> = ['warn', 'error', 'fatal'];
  const target = log as unknown as Record<string, LogFn>;
  const originals = new Map<string, { own: boolean; fn: LogFn }>();
  for (const level of levels) {
    const fn = target[level];
    originals.set(level, { own: Object.prototype.hasOwnProperty.call(log, level), fn });
    target[level] = function (this: Logger, ...args: unknown[]) {
      // A level that is off is a no-op in pino; record only what is actually logged.
      if (this.isLevelEnabled(level)) {
        const bindings = this.bindings() as { component?: unknown };
        ring.push({
          atMs: now(),
          level,
          component: typeof bindings.component === 'string' ? bindings.component : null,
          message: describe(args),
        });
      }
      return fn.apply(this, args);
    };
  }
  return () => {
    for (const [level, o] of originals) {
      if (o.own) target[level] = o.fn;
      else delete target[level];
    }
  };
}
