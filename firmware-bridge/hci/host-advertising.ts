// The controller's own advertising, driven by its host (the peripheral role: bleno, BlueZ, Zephyr's host): LE Set
// Advertising Parameters/Data/Scan Response Data/Enable, LE Set Random Address, and Zephyr's vendor Write BD_ADDR
// (bleno's setAddress on a 0x05F1 controller). What it advertises goes on the virtual radio (radio.ts).
import { addressFromBytes, normalizeAddress } from './address.ts';
import type { CommandContext, CommandHandler } from './commands.ts';
import { Op, Status } from './hci-constants.ts';
import type { Advertiser } from './radio.ts';

const ADV_IND = 0x00;
const ADV_DIRECT_IND = 0x01;
const ADV_DIRECT_IND_LOW = 0x04;
const OWN_ADDRESS_RANDOM = 0x01;
const MAX_AD = 31;

export class HostAdvertiser implements Advertiser {
  publicAddress: string;
  randomAddress: string | null = null;
  /** Advertising_Type of LE Set Advertising Parameters (0 = ADV_IND) */
  advType = ADV_IND;
  ownAddressType = 0;
  advData: Buffer = Buffer.alloc(0);
  scanRspData: Buffer = Buffer.alloc(0);
  readonly rssi: number;
  /** LE Set Advertising Enable; cleared when a central connects (legacy advertising ends with the link) */
  enabled = false;

  constructor(publicAddress: string, rssi = -60) {
    this.publicAddress = normalizeAddress(publicAddress);
    this.rssi = rssi;
  }

  get addressType(): 'public' | 'random' {
    return this.ownAddressType === OWN_ADDRESS_RANDOM && this.randomAddress ? 'random' : 'public';
  }

  get address(): string {
    return this.addressType === 'random' && this.randomAddress ? this.randomAddress : this.publicAddress;
  }

  get connectable(): boolean {
    return this.advType === ADV_IND || this.advType === ADV_DIRECT_IND || this.advType === ADV_DIRECT_IND_LOW;
  }

  get isAdvertising(): boolean {
    return this.enabled;
  }

  /** HCI Reset: advertising off, parameters and data back to their defaults. */
  reset(): void {
    this.enabled = false;
    this.advType = ADV_IND;
    this.ownAddressType = 0;
    this.randomAddress = null;
    this.advData = Buffer.alloc(0);
    this.scanRspData = Buffer.alloc(0);
  }
}

/** The AD payload of LE Set Advertising/Scan Response Data: a length octet, then 31 octets. */
function adPayload(params: Buffer): Buffer | null {
  if (params.length < 1 || params[0] > MAX_AD || params.length < 1 + params[0]) return null;
  return Buffer.from(params.subarray(1, 1 + params[0]));
}

/** Runs `change` on the advertiser, tells the air, and answers Command Complete. */
const changing =
  (change: (a: HostAdvertiser, params: Buffer) => number): CommandHandler =>
  (c: CommandContext, params, opcode) => {
    const status = change(c.advertiser, params);
    c.complete(opcode, status);
    if (status === Status.success) c.advertisingChanged();
  };

const parameters = changing((a, params) => {
  if (params.length < 15) return Status.invalidParameters;
  // parameters cannot change while advertising is on (Core Vol 4 Part E 7.8.5)
  if (a.enabled) return Status.commandDisallowed;
  a.advType = params[4];
  a.ownAddressType = params[5];
  return Status.success;
});

const advertisingData = changing((a, params) => {
  const data = adPayload(params);
  if (!data) return Status.invalidParameters;
  a.advData = data;
  return Status.success;
});

const scanResponseData = changing((a, params) => {
  const data = adPayload(params);
  if (!data) return Status.invalidParameters;
  a.scanRspData = data;
  return Status.success;
});

const enable = changing((a, params) => {
  if (params.length < 1 || params[0] > 1) return Status.invalidParameters;
  a.enabled = params[0] === 1;
  return Status.success;
});

const randomAddress = changing((a, params) => {
  if (params.length < 6) return Status.invalidParameters;
  a.randomAddress = addressFromBytes(params.subarray(0, 6));
  return Status.success;
});

/** Zephyr's HCI_OP_VS_WRITE_BD_ADDR (0xFC06): the public address, as bleno's setAddress sends it to 0x05F1. */
const writeBdAddr: CommandHandler = (c, params, opcode) => {
  if (params.length < 6) return c.complete(opcode, Status.invalidParameters);
  c.setPublicAddress(addressFromBytes(params.subarray(0, 6)));
  c.complete(opcode);
  c.advertisingChanged();
};

export const ADVERTISING_COMMANDS: ReadonlyArray<[number, CommandHandler]> = [
  [Op.leSetAdvertisingParameters, parameters],
  [Op.leSetAdvertisingData, advertisingData],
  [Op.leSetScanResponseData, scanResponseData],
  [Op.leSetAdvertiseEnable, enable],
  [Op.leSetRandomAddress, randomAddress],
  // TX power 0 dBm
  [
    Op.leReadAdvertisingChannelTxPower,
    (c, _p, opcode) => c.complete(opcode, Status.success, Buffer.from([0])),
  ],
  [Op.vsWriteBdAddr, writeBdAddr],
];
