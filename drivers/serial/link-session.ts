// What every cable meter session, serial or USB, is built on: the link it talks over, the session options
// (timeouts, retries, clock) and the bounded-attempts rule of spec D: an exchange that fails in a way the
// line explains (a corrupt reply, silence) is tried again, at most `retries` more times; then the session
// gives up with the last failure as the cause.
import { CodecError } from '../codecs/codec-error.ts';
import { MeterError, type MeterErrorCode } from './meter-error.ts';
import type { SessionOptions } from './meter-session.ts';

/** A corrupt reply or no reply in time: the line's fault, worth another attempt. */
export function isLineFailure(err: unknown): boolean {
  return err instanceof CodecError || (err instanceof MeterError && err.code === 'ERR_TIMEOUT');
}

export interface AttemptRule {
  /** Which failures earn another attempt (default: isLineFailure); any other one ends the exchange at once. */
  retriable?: (err: unknown) => boolean;
  /** Runs after each retriable failure, e.g. to read what is left of a broken reply. */
  afterFailure?: () => Promise<void>;
  /** The code of the error thrown when no attempt succeeded (default ERR_RETRIES_EXHAUSTED). */
  code?: MeterErrorCode;
}

export abstract class LinkSession<L> {
  protected readonly link: L;
  protected readonly opts: SessionOptions;

  constructor(link: L, opts: SessionOptions) {
    this.link = link;
    this.opts = opts;
  }

  /**
   * Runs `attempt` (with its number, 0 first) up to 1 + retries times while it fails retriably. When every
   * attempt failed, throws a MeterError whose message is `exhausted(last failure's message)`.
   */
  protected async attempts<T>(
    attempt: (n: number) => Promise<T>,
    exhausted: (lastMessage: string) => string,
    rule: AttemptRule = {},
  ): Promise<T> {
    const retriable = rule.retriable ?? isLineFailure;
    let last: unknown;
    for (let n = 0; n <= this.opts.retries; n++) {
      try {
        return await attempt(n);
      } catch (err) {
        if (!retriable(err)) throw err;
        last = err;
        await rule.afterFailure?.();
      }
    }
    throw new MeterError(rule.code ?? 'ERR_RETRIES_EXHAUSTED', exhausted((last as Error).message), {
      cause: last,
    });
  }
}
