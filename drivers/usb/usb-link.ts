// The one small interface USB meters are read through: a link to one plugged meter, either HID (64-byte
// reports in and out) or SCSI (one command block at a time). Sessions speak their protocol over it; tests put a
// simulated meter behind it; the gateway uses node-hid (hidraw) and sg_raw (SG_IO) implementations.
import type { MeterError } from '../serial/meter-error.ts';

export type UsbProtocol = 'contour-usb' | 'freestyle-hid' | 'verio-scsi';
export const USB_PROTOCOLS: readonly UsbProtocol[] = ['contour-usb', 'freestyle-hid', 'verio-scsi'];

export interface UsbLink {
  readonly kind: 'hid' | 'scsi';
  /** Lets go of the device; never throws. */
  close(): Promise<void>;
}

export interface HidLink extends UsbLink {
  readonly kind: 'hid';
  /** Sends one output report (64 bytes, without a report number: the meters use none). */
  write(report: Uint8Array): Promise<void>;
  /**
   * The next input report. Rejects with MeterError ERR_TIMEOUT after `timeoutMs` without one, ERR_PORT_CLOSED
   * when the device went away or the link was closed.
   */
  read(timeoutMs: number): Promise<Uint8Array>;
}

export interface ScsiRequest {
  cdb: Uint8Array;
  /** Data-out phase (WRITE). */
  dataOut?: Uint8Array;
  /** Data-in phase (READ, INQUIRY): bytes requested. */
  dataInLength?: number;
  timeoutMs: number;
}

export interface ScsiLink extends UsbLink {
  readonly kind: 'scsi';
  /** Runs one command; resolves to the data-in bytes (empty for data-out), rejects with a MeterError. */
  execute(req: ScsiRequest): Promise<Uint8Array>;
}

/** A USB meter found on the bus (or named on the command line). */
export interface UsbDeviceRef {
  protocol: UsbProtocol;
  /** hidraw path (`/dev/hidraw3`) or SCSI device (`/dev/sg2`, `/dev/sdb`). */
  path: string;
  vendorId?: number;
  productId?: number;
  /** The USB iSerial when the bus lists it. */
  serialNumber?: string;
  /** Model name from the USB id table, when known. */
  model?: string;
}

export type LinkError = MeterError;
