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
  type Connection,
  type GattServerLink,
} from './peripheral.ts';
export { GattDatabase, hasProperty } from './gatt-db.ts';
export type {
  CharacteristicRecord,
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
export { IndicationQueue, checkAttValueLength } from './indication-queue.ts';
export { AttError } from './att.ts';
export { Status as HciStatus } from './hci-constants.ts';
export {
  VirtualRadio,
  RadioLinkEnd,
  type Advertiser,
  type ConnectionParameters,
  type RadioNode,
} from './radio.ts';
export type { HostAdvertiser } from './host-advertising.ts';
export { createPtyPair, type PtyPair } from './pty.ts';
export {
  measurePtyByteRate,
  measurePtyByteRateOf,
  pushPackets,
  type ByteRateResult,
  type PtyWriter,
} from './byte-rate.ts';
