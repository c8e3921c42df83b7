// What both GATT servers of a simulator (the virtual controller's att-server.ts and bleno's bleno-link.ts) do
// with indications: one in flight until the central confirms it (ATT allows no second one before that), the
// rest queued in order; all of them fail when the link goes. And the rule both apply to a value's length.
import { CodecError } from '../../drivers/codecs/codec-error.ts';

interface Pending<T> {
  item: T;
  resolve(): void;
  reject(e: Error): void;
}

export class IndicationQueue<T> {
  private readonly queue: Pending<T>[] = [];
  private inFlight: Pending<T> | null = null;
  private closed = false;
  /** Sends an item; an Error instead fails that item and the next one is tried. */
  private readonly send: (item: T) => Error | null;

  constructor(send: (item: T) => Error | null) {
    this.send = send;
  }

  /** Resolves on the confirmation of this item; rejects when it cannot be sent or the link closes first. */
  push(item: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.next();
    });
  }

  /** The central confirmed: the item in flight (when `matches` it) is done and the next one goes out. */
  confirm(matches: (item: T) => boolean = () => true): void {
    const done = this.inFlight;
    if (!done || !matches(done.item)) return; // unexpected confirmation: ignore, as a server should
    this.inFlight = null;
    done.resolve();
    this.next();
  }

  /** The link is gone: every pending indication fails naming why. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const err = new Error(`link closed before confirmation (${reason})`);
    this.inFlight?.reject(err);
    for (const p of this.queue.splice(0)) p.reject(err);
    this.inFlight = null;
  }

  private next(): void {
    while (!this.inFlight && !this.closed) {
      const p = this.queue.shift();
      if (!p) return;
      const refused = this.send(p.item);
      if (refused) p.reject(refused);
      else this.inFlight = p;
    }
  }
}

/** A value must fit one PDU (ATT_MTU − 3); bleno would cut a longer one silently, so both servers refuse it. */
export function checkAttValueLength(value: Uint8Array, mtu: number): void {
  if (value.length > mtu - 3) {
    throw new CodecError('ERR_TOO_LONG', `value of ${value.length} bytes exceeds ATT_MTU-3 = ${mtu - 3}`);
  }
}
