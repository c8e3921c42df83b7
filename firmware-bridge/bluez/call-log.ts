// The fake BlueZ's test controls on its methods: every connection and GATT method called, in order, with
// the D-Bus error answered, and errors injected for the next N calls of a method (one device, one UUID).
import { normalizeAddress } from '../hci/address.ts';
import { bluezError } from './errors.ts';

export type BluezMethod =
  | 'StartDiscovery'
  | 'StopDiscovery'
  | 'Connect'
  | 'Disconnect'
  | 'Pair'
  | 'ReadValue'
  | 'WriteValue'
  | 'StartNotify'
  | 'StopNotify';

/** A D-Bus error answered instead of the next `times` calls of `method` (optionally one device / one UUID). */
export interface InjectedError {
  method: BluezMethod;
  /** device address; any device when absent */
  address?: string;
  /** characteristic UUID in noble's spelling ("2a18"); any when absent */
  uuid?: string;
  /** e.g. "org.bluez.Error.Failed" */
  name: string;
  message: string;
  /** default 1 */
  times?: number;
}

export interface CallRecord {
  method: BluezMethod;
  address: string;
  uuid?: string;
  /** the D-Bus error name answered, if any */
  error?: string;
}

export class CallLog {
  readonly calls: CallRecord[] = [];
  private readonly injected: InjectedError[] = [];

  /** Answers the next call(s) of a method with a D-Bus error. */
  inject(e: InjectedError): void {
    this.injected.push({
      ...e,
      ...(e.address ? { address: normalizeAddress(e.address) } : {}),
      times: e.times ?? 1,
    });
  }

  record(method: BluezMethod, address: string, uuid?: string, error?: string): void {
    this.calls.push({ method, address, ...(uuid ? { uuid } : {}), ...(error ? { error } : {}) });
  }

  /** Records the call and throws an injected error for it, if one is pending. */
  check(method: BluezMethod, address: string, uuid?: string): void {
    const i = this.injected.findIndex(
      (e) => e.method === method && (!e.address || e.address === address) && (!e.uuid || e.uuid === uuid),
    );
    if (i < 0) {
      this.record(method, address, uuid);
      return;
    }
    const e = this.injected[i];
    e.times = (e.times ?? 1) - 1;
    if (e.times <= 0) this.injected.splice(i, 1);
    this.record(method, address, uuid, e.name);
    throw bluezError(e.name, e.message);
  }
}
