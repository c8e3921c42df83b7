// Security Manager (CID 6): the virtual peripherals do not pair, so every pairing attempt gets
// Pairing Failed with reason 0x05 "Pairing Not Supported".
export const SmpCode = { pairingRequest: 0x01, pairingFailed: 0x05 } as const;
export const SMP_PAIRING_NOT_SUPPORTED = 0x05;

export function smpReply(packet: Buffer): Buffer | null {
  if (packet.length === 0 || packet[0] === SmpCode.pairingFailed) return null;
  return Buffer.from([SmpCode.pairingFailed, SMP_PAIRING_NOT_SUPPORTED]);
}
