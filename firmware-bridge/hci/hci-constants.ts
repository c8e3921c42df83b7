// HCI opcodes, event codes and status codes the virtual controller uses (Core Spec Vol 4 Part E).
export const ogfOcf = (ogf: number, ocf: number): number => (ogf << 10) | ocf;

export const Op = {
  disconnect: ogfOcf(0x01, 0x0006),
  setEventMask: ogfOcf(0x03, 0x0001),
  reset: ogfOcf(0x03, 0x0003),
  setEventFilter: ogfOcf(0x03, 0x0005),
  readLeHostSupported: ogfOcf(0x03, 0x006c),
  writeLeHostSupported: ogfOcf(0x03, 0x006d),
  readLocalVersion: ogfOcf(0x04, 0x0001),
  readSupportedCommands: ogfOcf(0x04, 0x0002),
  readLocalFeatures: ogfOcf(0x04, 0x0003),
  readBufferSize: ogfOcf(0x04, 0x0005),
  readBdAddr: ogfOcf(0x04, 0x0009),
  readRssi: ogfOcf(0x05, 0x0005),
  leSetEventMask: ogfOcf(0x08, 0x0001),
  leReadBufferSize: ogfOcf(0x08, 0x0002),
  leReadLocalFeatures: ogfOcf(0x08, 0x0003),
  leSetRandomAddress: ogfOcf(0x08, 0x0005),
  leSetAdvertisingParameters: ogfOcf(0x08, 0x0006),
  leReadAdvertisingChannelTxPower: ogfOcf(0x08, 0x0007),
  leSetAdvertisingData: ogfOcf(0x08, 0x0008),
  leSetScanResponseData: ogfOcf(0x08, 0x0009),
  leSetAdvertiseEnable: ogfOcf(0x08, 0x000a),
  leSetScanParameters: ogfOcf(0x08, 0x000b),
  leSetScanEnable: ogfOcf(0x08, 0x000c),
  leCreateConnection: ogfOcf(0x08, 0x000d),
  leCreateConnectionCancel: ogfOcf(0x08, 0x000e),
  leConnectionUpdate: ogfOcf(0x08, 0x0013),
  leStartEncryption: ogfOcf(0x08, 0x0019),
  leSetDataLength: ogfOcf(0x08, 0x0022),
  leReadMaxDataLength: ogfOcf(0x08, 0x002f),
  leSetPhy: ogfOcf(0x08, 0x0032),
  leSetDefaultPhy: ogfOcf(0x08, 0x0031),
  leSetExtendedScanParameters: ogfOcf(0x08, 0x0041),
  leSetExtendedScanEnable: ogfOcf(0x08, 0x0042),
  leExtendedCreateConnection: ogfOcf(0x08, 0x0043),
  /** Zephyr vendor command Write BD_ADDR (what bleno's setAddress sends to a 0x05F1 controller) */
  vsWriteBdAddr: ogfOcf(0x3f, 0x0006),
} as const;

export const Evt = {
  disconnectionComplete: 0x05,
  encryptionChange: 0x08,
  commandComplete: 0x0e,
  commandStatus: 0x0f,
  numberOfCompletedPackets: 0x13,
  leMeta: 0x3e,
} as const;

export const LeSubevent = {
  connectionComplete: 0x01,
  advertisingReport: 0x02,
  connectionUpdateComplete: 0x03,
  dataLengthChange: 0x07,
  enhancedConnectionComplete: 0x0a,
  extendedAdvertisingReport: 0x0d,
} as const;

export const Status = {
  success: 0x00,
  unknownCommand: 0x01,
  unknownConnectionId: 0x02,
  authenticationFailure: 0x05,
  commandDisallowed: 0x0c,
  connectionTimeout: 0x08,
  unsupportedFeature: 0x11,
  invalidParameters: 0x12,
  remoteUserTerminated: 0x13,
  localHostTerminated: 0x16,
  unsupportedRemoteFeature: 0x1a,
} as const;

/** ACL packet boundary flags. */
export const Pb = { firstNonFlushable: 0, continuation: 1, firstFlushable: 2 } as const;
