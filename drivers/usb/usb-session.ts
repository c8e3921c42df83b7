// The protocol steps of a USB meter: the serial meters' steps (drivers/serial/meter-session.ts), over a USB
// link. The sequence is the visit's (drivers/visit.ts), run by run-usb-dump.ts.
import type { CableMeterSession, SessionOptions } from '../serial/meter-session.ts';
import type { UsbProtocol } from './usb-link.ts';

export type UsbMeterSession = CableMeterSession<UsbProtocol>;

/** USB links are fast and local: shorter waits than a 9600-baud cable. */
export const DEFAULT_USB_SESSION_OPTIONS: SessionOptions = {
  timeouts: { replyMs: 3000, quietMs: 100 },
  retries: 3,
  now: () => new Date(),
};
