// Public surface of the fake BlueZ (see README.md).
export { startPrivateBus, type PrivateBus } from './private-bus.ts';
export {
  FakeBluez,
  bluezUuid,
  type FakeBluezOptions,
  type InjectedError,
  type CallRecord,
  type BluezMethod,
} from './fake-bluez.ts';
export { BluezError, attToDbusError, type BluezErrorName } from './errors.ts';
