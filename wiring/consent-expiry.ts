// The consent-expiry job as a part (HDDT: a consent ends on time, at most a year after it was given): once at
// start and then every minute it ends every pairing whose consent ran out, with its grants and tokens, and
// writes each ending to the privacy trail, also when the DiGA never calls again. Verifying a token only
// refuses one whose consent ran out (server/oauth/grant-state.ts); the ending is written here.
import { systemClock, type Clock } from '../server/clock.ts';
import { expireConsents } from '../server/oauth/pairing.ts';
import type { Component } from './component.ts';

export const CONSENT_SWEEP_MS = 60_000;

export function consentExpiryJob(opts: { everyMs?: number; clock?: Clock } = {}): Component {
  return {
    name: 'consent-expiry',
    async start(ctx) {
      const services = { store: ctx.store, clock: opts.clock ?? systemClock };
      const sweep = () => {
        try {
          const n = expireConsents(services);
          if (n > 0) ctx.log.info({ pairings: n }, 'pairings ended: consent expired');
        } catch (err) {
          ctx.log.error({ err }, 'consent sweep failed');
        }
      };
      sweep();
      const timer = setInterval(sweep, opts.everyMs ?? CONSENT_SWEEP_MS);
      timer.unref();
      return async () => clearInterval(timer);
    },
  };
}
