// Public surface of the fake BlueZ (see README.md).
export { startPrivateBus, type PrivateBus } from './private-bus.ts';
export { FakeBluez, type FakeBluezOptions } from './fake-bluez.ts';
export type { InjectedError, CallRecord, BluezMethod } from './call-log.ts';
export { bluezUuid } from './naming.ts';
export { BluezError, attToDbusError, type BluezErrorName } from './errors.ts';
