// One central's link to a simulator served by bleno, as the simulator drives it (GattServerLink): the CCCD state
// bleno reports, notifications through bleno's update callbacks, and indications queued one in flight (bleno keeps
// only the last indicated attribute per link, so a second indication before the confirmation would lose one).
import type { UpdateValueCallback } from '@stoprocent/bleno';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import {
  hasProperty,
  type CharacteristicRecord,
  type GattServerLink,
  type Subscription,
} from '../hci/index.ts';

interface Indication {
  char: CharacteristicRecord;
  value: Buffer;
  resolve(): void;
  reject(e: Error): void;
}

export class BlenoLink implements GattServerLink {
  readonly handle: number;
  mtu = 23;
  unresponsive = false;
  private readonly updates = new Map<CharacteristicRecord, UpdateValueCallback>();
  private readonly queue: Indication[] = [];
  private inFlight: Indication | null = null;
  private closed = false;

  constructor(handle: number) {
    this.handle = handle;
  }

  /** bleno reported a CCCD write (update null: switched off). */
  subscribed(char: CharacteristicRecord, update: UpdateValueCallback | null): Subscription {
    if (update) this.updates.set(char, update);
    else this.updates.delete(char);
    return this.subscription(char);
  }

  /** bleno sends notifications for a characteristic that has 'notify', indications otherwise. */
  subscription(char: CharacteristicRecord): Subscription {
    const on = this.updates.has(char);
    const notify = hasProperty(char, 'notify');
    return { notify: on && notify, indicate: on && !notify && hasProperty(char, 'indicate') };
  }

  notify(char: CharacteristicRecord, value: Uint8Array): boolean {
    const update = this.updates.get(char);
    if (this.closed || !update || !this.subscription(char).notify) return false;
    this.checkLength(value);
    update(Buffer.from(value));
    return true;
  }

  indicate(char: CharacteristicRecord, value: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    if (!this.subscription(char).indicate) {
      return Promise.reject(new Error(`central has not enabled indications on ${char.uuid.key}`));
    }
    this.checkLength(value);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ char, value: Buffer.from(value), resolve, reject });
      this.next();
    });
  }

  /** The central confirmed the indication of `char`. */
  confirmed(char: CharacteristicRecord): void {
    const done = this.inFlight;
    if (!done || done.char !== char) return;
    this.inFlight = null;
    done.resolve();
    this.next();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const err = new Error(`link closed before confirmation (${reason})`);
    if (this.inFlight) this.inFlight.reject(err);
    for (const i of this.queue.splice(0)) i.reject(err);
    this.inFlight = null;
    this.updates.clear();
  }

  private next(): void {
    if (this.inFlight || this.closed) return;
    const i = this.queue.shift();
    if (!i) return;
    const update = this.updates.get(i.char);
    if (!update) {
      i.reject(new Error(`indications on ${i.char.uuid.key} were switched off`));
      return this.next();
    }
    this.inFlight = i;
    update(i.value);
  }

  // bleno cuts a longer value silently; the virtual controller's server refuses it, and so does this one
  private checkLength(value: Uint8Array): void {
    if (value.length > this.mtu - 3) {
      throw new CodecError(
        'ERR_TOO_LONG',
        `value of ${value.length} bytes exceeds ATT_MTU-3 = ${this.mtu - 3}`,
      );
    }
  }
}
