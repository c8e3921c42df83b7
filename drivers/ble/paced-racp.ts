// RACP as a meter with quirks needs it: requests spaced by the meter's settle time (quirk roche-racp-settle), and
// a meter that answers RACP only once bonded (quirk racp-after-bond) reported as such, with the command that
// bonds it, instead of as a plain timeout. An ATT "insufficient authentication/encryption" answer means the
// same on any meter.
import type { RacpRequest, RacpResponse } from '../codecs/racp.ts';
import { GatewayError } from '../../lib/errors.ts';
import { RacpError, type RacpClient } from './racp-client.ts';
import { LinkError } from './transport.ts';

export class NeedsBondError extends GatewayError {
  constructor(address: string, why: string) {
    super(
      'ERR_BLE_NEEDS_BOND',
      `${address} ${why}: bond it once with the meter in pairing mode (hddt-gateway pair add ${address}, or bluetoothctl pair + trust)`,
    );
  }
}

const AUTH_ERROR = /insufficient (authentication|encryption)|not paired|authentication/i;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class PacedRacp {
  private readonly racp: RacpClient;
  private readonly address: string;
  private readonly settleMs: number;
  private readonly needsBond: boolean;
  private lastAt = performance.now();
  private answered = false;

  constructor(racp: RacpClient, o: { address: string; settleMs: number; needsBond: boolean }) {
    this.racp = racp;
    this.address = o.address;
    this.settleMs = o.settleMs;
    this.needsBond = o.needsBond;
  }

  /** The link came up (subscriptions done): the settle time counts from here. */
  markReady(): void {
    this.lastAt = performance.now();
  }

  async request(req: RacpRequest): Promise<RacpResponse> {
    const wait = this.lastAt + this.settleMs - performance.now();
    if (wait > 0) await sleep(wait);
    try {
      const res = await this.racp.request(req);
      this.answered = true;
      return res;
    } catch (err) {
      throw this.explain(err);
    } finally {
      this.lastAt = performance.now();
    }
  }

  private explain(err: unknown): unknown {
    if (err instanceof LinkError && err.reason === 'gatt' && AUTH_ERROR.test(err.message))
      return new NeedsBondError(this.address, `refuses RACP without a bond (${err.message})`);
    // a meter known to stay silent until bonded, silent from its first request on
    if (err instanceof RacpError && this.needsBond && !this.answered)
      return new NeedsBondError(this.address, 'answers RACP only once bonded');
    return err;
  }
}
