// One central's link to a simulator served by bleno, as the simulator drives it (GattServerLink): the CCCD state
// bleno reports, notifications through bleno's update callbacks, and indications queued one in flight (bleno keeps
// only the last indicated attribute per link, so a second indication before the confirmation would lose one).
import type { UpdateValueCallback } from '@stoprocent/bleno';
import {
  IndicationQueue,
  checkAttValueLength,
  hasProperty,
  type CharacteristicRecord,
  type GattServerLink,
  type Subscription,
} from '../hci/index.ts';

interface Indication {
  char: CharacteristicRecord;
  value: Buffer;
}

export class BlenoLink implements GattServerLink {
  readonly handle: number;
  mtu = 23;
  unresponsive = false;
  private readonly updates = new Map<CharacteristicRecord, UpdateValueCallback>();
  private readonly indications = new IndicationQueue<Indication>((i) => {
    const update = this.updates.get(i.char);
    if (!update) return new Error(`indications on ${i.char.uuid.key} were switched off`);
    update(i.value);
    return null;
  });
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
    checkAttValueLength(value, this.mtu);
    update(Buffer.from(value));
    return true;
  }

  indicate(char: CharacteristicRecord, value: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    if (!this.subscription(char).indicate) {
      return Promise.reject(new Error(`central has not enabled indications on ${char.uuid.key}`));
    }
    checkAttValueLength(value, this.mtu);
    return this.indications.push({ char, value: Buffer.from(value) });
  }

  /** The central confirmed the indication of `char`. */
  confirmed(char: CharacteristicRecord): void {
    this.indications.confirm((i) => i.char === char);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.indications.close(reason);
    this.updates.clear();
  }
}
