// LE signaling channel (CID 5), minimal peripheral side: accept parameter-update responses, refuse
// credit-based channels, reject everything else with "command not understood".
export const SigCode = {
  commandReject: 0x01,
  disconnectionRequest: 0x06,
  connParamUpdateRequest: 0x12,
  connParamUpdateResponse: 0x13,
  leCreditConnRequest: 0x14,
  leCreditConnResponse: 0x15,
  flowControlCredit: 0x16,
} as const;

export function encodeSignaling(code: number, identifier: number, data: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + data.length);
  b[0] = code;
  b[1] = identifier;
  b.writeUInt16LE(data.length, 2);
  b.set(data, 4);
  return b;
}

/** The reply to one signaling packet from the central, or null when none is due. */
export function signalingReply(packet: Buffer): Buffer | null {
  if (packet.length < 4) return null; // too short to even name an identifier: drop
  const code = packet[0];
  const id = packet[1];
  switch (code) {
    case SigCode.commandReject:
    case SigCode.connParamUpdateResponse:
    case SigCode.flowControlCredit:
      return null;
    case SigCode.leCreditConnRequest: {
      // Connection refused: LE_PSM not supported (0x0002); DCID, MTU, MPS, credits zero.
      const rsp = Buffer.alloc(10);
      rsp.writeUInt16LE(0x0002, 8);
      return encodeSignaling(SigCode.leCreditConnResponse, id, rsp);
    }
    default:
      // Command Reject, reason 0x0000 "command not understood".
      return encodeSignaling(SigCode.commandReject, id, Buffer.from([0x00, 0x00]));
  }
}
