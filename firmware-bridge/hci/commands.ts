// The controller's answers to HCI commands (spec E.7), one small handler per opcode: noble's init sequence
// (reset, event masks, version, features, buffer sizes, address), scanning, connections and per-link
// commands. Opcodes not in the table get Command Complete "unknown command".
import { addressToBytes } from './address.ts';
import { type LinkState, type LinkTable, type PendingCreate, parseCreateConnection } from './connections.ts';
import { leConnectionUpdateComplete, leDataLengthChange } from './events.ts';
import { Op, Status } from './hci-constants.ts';
import { ADVERTISING_COMMANDS, type HostAdvertiser } from './host-advertising.ts';
import type { Scanner } from './scanner.ts';

/** What the controller is, as its informational commands report it. */
export interface ControllerConfig {
  address: string;
  aclBufferLength: number;
  aclBufferCount: number;
  /** LE Data Packet Length Extension */
  dle: boolean;
  /** LE Extended Advertising (extended scan and create-connection commands) */
  extended: boolean;
}

/** What a command handler may do to the controller. */
export interface CommandContext {
  readonly config: ControllerConfig;
  readonly scanner: Scanner;
  readonly links: LinkTable;
  /** the controller's own advertising, as its host sets it up */
  readonly advertiser: HostAdvertiser;
  /** the host changed the advertising: tell the radio */
  advertisingChanged(): void;
  /** the vendor command Write BD_ADDR */
  setPublicAddress(address: string): void;
  /** Command Complete */
  complete(opcode: number, status?: number, ret?: Uint8Array): void;
  /** Command Status */
  status(opcode: number, status: number): void;
  /** any other event */
  send(packet: Buffer): void;
  reset(): void;
  /** starts an attempt (Command Status is sent by the caller's handler) */
  createConnection(opcode: number, pc: PendingCreate): void;
  cancelCreate(): void;
  /** HCI Disconnect of l: the peripheral gets `reason` */
  disconnect(l: LinkState, reason: number): void;
}

export type CommandHandler = (c: CommandContext, params: Buffer, opcode: number) => void;

const MAX_TX_OCTETS = 251;
const MAX_TX_TIME = 2120;

/** A command that only needs its Command Complete. */
const accept: CommandHandler = (c, _params, opcode) => c.complete(opcode);

/** A command answered with return parameters computed from the configuration. */
const answer =
  (ret: (config: ControllerConfig) => Uint8Array): CommandHandler =>
  (c, _params, opcode) =>
    c.complete(opcode, Status.success, ret(c.config));

/** A command that exists only with LE Extended Advertising. */
const extendedOnly =
  (handler: CommandHandler, refuse: 'complete' | 'status' = 'complete'): CommandHandler =>
  (c, params, opcode) => {
    if (c.config.extended) return handler(c, params, opcode);
    if (refuse === 'status') c.status(opcode, Status.unknownCommand);
    else c.complete(opcode, Status.unknownCommand);
  };

/** The connection handle a command starts with, or -1 when its parameters are shorter than `length`. */
const handleOf = (params: Buffer, length: number): number =>
  params.length >= length ? params.readUInt16LE(0) : -1;

/** A return parameter block that starts with the connection handle (0 for an unknown one). */
function handleReturn(handle: number, length: number): Buffer {
  const r = Buffer.alloc(length);
  r.writeUInt16LE(Math.max(handle, 0), 0);
  return r;
}

// ---- informational parameters (noble's init) ---------------------------------------------------

// HCI 5.0 (0x09), revision 0, LMP 5.0, manufacturer 0x05F1 (The Linux Foundation, i.e. Zephyr)
const localVersion = answer(() => Buffer.from([0x09, 0x00, 0x00, 0x09, 0xf1, 0x05, 0x00, 0x00]));

const supportedCommands = answer((config) => {
  const cmds = Buffer.alloc(64);
  if (config.extended) cmds[37] |= 0x30;
  return cmds;
});

const localFeatures = answer(() => {
  const f = Buffer.alloc(8);
  f[4] = 0x60; // LE supported (controller), BR/EDR not supported
  return f;
});

const bufferSize = answer((config) => {
  const r = Buffer.alloc(7);
  r.writeUInt16LE(config.aclBufferLength, 0);
  r.writeUInt16LE(config.aclBufferCount, 3);
  return r;
});

const leBufferSize = answer((config) => {
  const r = Buffer.alloc(3);
  r.writeUInt16LE(config.aclBufferLength, 0);
  r[2] = config.aclBufferCount;
  return r;
});

const leLocalFeatures = answer((config) => {
  const f = Buffer.alloc(8);
  if (config.dle) f[0] |= 0x20;
  if (config.extended) f[1] |= 0x10;
  return f;
});

const leMaxDataLength: CommandHandler = (c, _params, opcode) => {
  if (!c.config.dle) return c.complete(opcode, Status.unknownCommand);
  const r = Buffer.alloc(8);
  r.writeUInt16LE(MAX_TX_OCTETS, 0);
  r.writeUInt16LE(MAX_TX_TIME, 2);
  r.writeUInt16LE(MAX_TX_OCTETS, 4);
  r.writeUInt16LE(MAX_TX_TIME, 6);
  c.complete(opcode, Status.success, r);
};

// ---- scanning ----------------------------------------------------------------------------------

const scanParameters: CommandHandler = (c, _params, opcode) =>
  c.complete(opcode, c.scanner.enabled ? Status.commandDisallowed : Status.success);

const scanEnable =
  (extended: boolean): CommandHandler =>
  (c, params, opcode) => {
    if (params.length < 2) return c.complete(opcode, Status.invalidParameters);
    c.complete(opcode);
    if (params[0] === 1) c.scanner.start(params[1] === 1, extended);
    else c.scanner.stop();
  };

// ---- connections -------------------------------------------------------------------------------

const createConnection =
  (extended: boolean): CommandHandler =>
  (c, params, opcode) => {
    const pc = parseCreateConnection(params, extended);
    if (!pc) return c.status(opcode, Status.invalidParameters);
    c.createConnection(opcode, pc);
  };

const disconnect: CommandHandler = (c, params, opcode) => {
  const l = c.links.get(handleOf(params, 3));
  if (!l) return c.status(opcode, Status.unknownConnectionId);
  c.status(opcode, Status.success);
  c.disconnect(l, params[2]);
};

const readRssi: CommandHandler = (c, params, opcode) => {
  const handle = handleOf(params, 2);
  const l = c.links.get(handle);
  const r = handleReturn(handle, 3);
  r.writeInt8(l ? l.rssi : 0, 2);
  c.complete(opcode, l ? Status.success : Status.unknownConnectionId, r);
};

const connectionUpdate: CommandHandler = (c, params, opcode) => {
  const handle = handleOf(params, 14);
  if (!c.links.has(handle)) return c.status(opcode, Status.unknownConnectionId);
  c.status(opcode, Status.success);
  const [interval, latency, timeout] = [4, 6, 8].map((o) => params.readUInt16LE(o));
  c.send(leConnectionUpdateComplete(handle, interval, latency, timeout));
};

const setDataLength: CommandHandler = (c, params, opcode) => {
  const handle = handleOf(params, 6);
  const r = handleReturn(handle, 2);
  if (!c.links.has(handle)) return c.complete(opcode, Status.unknownConnectionId, r);
  c.complete(opcode, Status.success, r);
  const octets = Math.min(params.readUInt16LE(2), MAX_TX_OCTETS);
  c.send(leDataLengthChange(handle, octets, Math.min(params.readUInt16LE(4), MAX_TX_TIME)));
};

const reset: CommandHandler = (c, _params, opcode) => {
  c.reset();
  c.complete(opcode);
};

const COMMANDS = new Map<number, CommandHandler>([
  [Op.reset, reset],
  [Op.setEventMask, accept],
  [Op.leSetEventMask, accept],
  [Op.writeLeHostSupported, accept],
  [Op.setEventFilter, accept],
  [Op.leSetDefaultPhy, accept],
  [Op.readLeHostSupported, answer(() => Buffer.from([0x01, 0x00]))],
  [Op.readLocalVersion, localVersion],
  [Op.readSupportedCommands, supportedCommands],
  [Op.readLocalFeatures, localFeatures],
  [Op.readBufferSize, bufferSize],
  [Op.readBdAddr, answer((config) => addressToBytes(config.address))],
  [Op.leReadBufferSize, leBufferSize],
  [Op.leReadLocalFeatures, leLocalFeatures],
  [Op.leReadMaxDataLength, leMaxDataLength],
  [Op.leSetDataLength, setDataLength],
  [Op.leSetScanParameters, scanParameters],
  [Op.leSetExtendedScanParameters, extendedOnly(scanParameters)],
  [Op.leSetScanEnable, scanEnable(false)],
  [Op.leSetExtendedScanEnable, extendedOnly(scanEnable(true))],
  [Op.leCreateConnection, createConnection(false)],
  [Op.leExtendedCreateConnection, extendedOnly(createConnection(true), 'status')],
  [Op.leCreateConnectionCancel, (c) => c.cancelCreate()],
  [Op.disconnect, disconnect],
  [Op.readRssi, readRssi],
  [Op.leConnectionUpdate, connectionUpdate],
  [Op.leSetPhy, (c, _params, opcode) => c.status(opcode, Status.unsupportedFeature)],
  // No pairing (SMP answers "pairing not supported"), so there is no key to encrypt with.
  [Op.leStartEncryption, (c, _params, opcode) => c.status(opcode, Status.unsupportedRemoteFeature)],
  ...ADVERTISING_COMMANDS,
]);

/** Answers one HCI command. */
export function runCommand(c: CommandContext, opcode: number, params: Buffer): void {
  const handler = COMMANDS.get(opcode);
  if (handler) handler(c, params, opcode);
  else c.complete(opcode, Status.unknownCommand);
}
