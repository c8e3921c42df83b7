import type { Migration } from './migration.ts';

// A sensor session keeps the serial number it reported: one device key (a CGM transmitter) can carry a new
// sensor, with its own serial, in every session, and each session's Device must keep its own. NULL for the
// sessions stored before, which keep showing the device's serial as they did.
export const sessionSerial: Migration = {
  version: 9,
  name: 'session-serial',
  up(db) {
    db.exec('ALTER TABLE device_sessions ADD COLUMN serial_number TEXT');
  },
};
