// The D-Bus errors bluetoothd answers with: ATT error codes mapped as BlueZ's src/gatt-client.c
// create_gatt_dbus_error() does (5.5x–5.7x), and the connection failures of Device1.Connect.
import dbus from 'dbus-next';
import { AttError } from '../hci/att.ts';

export const BluezError = {
  failed: 'org.bluez.Error.Failed',
  notPermitted: 'org.bluez.Error.NotPermitted',
  notAuthorized: 'org.bluez.Error.NotAuthorized',
  notSupported: 'org.bluez.Error.NotSupported',
  invalidArguments: 'org.bluez.Error.InvalidArguments',
  notConnected: 'org.bluez.Error.NotConnected',
  inProgress: 'org.bluez.Error.InProgress',
  authenticationFailed: 'org.bluez.Error.AuthenticationFailed',
  doesNotExist: 'org.bluez.Error.DoesNotExist',
} as const;

export type BluezErrorName = (typeof BluezError)[keyof typeof BluezError];

export function bluezError(name: string, text: string): dbus.DBusError {
  return new dbus.DBusError(name, text);
}

/** The reply to a GATT method whose ATT request got an Error Response. */
export function attToDbusError(code: number): dbus.DBusError {
  switch (code) {
    case AttError.readNotPermitted:
      return bluezError(BluezError.notPermitted, 'Read not permitted');
    case AttError.writeNotPermitted:
      return bluezError(BluezError.notPermitted, 'Write not permitted');
    case AttError.insufficientAuthentication:
    case AttError.insufficientEncryption:
    case AttError.insufficientEncryptionKeySize:
      return bluezError(BluezError.notPermitted, 'Not paired');
    case AttError.invalidOffset:
      return bluezError(BluezError.invalidArguments, 'Invalid offset');
    case AttError.invalidAttributeValueLength:
      return bluezError(BluezError.invalidArguments, 'Invalid Length');
    case AttError.insufficientAuthorization:
      return bluezError(BluezError.notAuthorized, 'Operation Not Authorized');
    case AttError.requestNotSupported:
      return bluezError(BluezError.notSupported, 'Operation is not supported');
    case 0:
      return bluezError(BluezError.failed, 'Operation failed');
    default:
      return bluezError(
        BluezError.failed,
        `Operation failed with ATT error: 0x${code.toString(16).padStart(2, '0')}`,
      );
  }
}
