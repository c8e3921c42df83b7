// Public surface of the virtual HCI controller.
export { VirtualController, type ControllerOptions, type NobleHciOptions } from './controller.ts';
export {
  VirtualPeripheral,
  type PeripheralOptions,
  type ConnectInfo,
  type DisconnectInfo,
  type PeripheralEvents,
  type PeripheralHost,
  type PeripheralLink,
} from './peripheral.ts';
export type {
  CharacteristicDefinition,
  CharacteristicProperty,
  DescriptorDefinition,
  ServiceDefinition,
  ReadContext,
  WriteContext,
  ReadResult,
  WriteResult,
} from './gatt-db.ts';
export type { Subscription } from './att-server.ts';
export { AttError } from './att.ts';
export { Status as HciStatus } from './hci-constants.ts';
export { createPtyPair, type PtyPair } from './pty.ts';
export {
  measurePtyByteRate,
  measurePtyByteRateOf,
  pushPackets,
  type ByteRateResult,
  type PtyWriter,
} from './byte-rate.ts';
