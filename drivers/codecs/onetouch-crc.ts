// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final XOR) used by the LifeScan binary
// link protocol (spec D.2). Check value for ASCII "123456789" is 0x29B1.

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

export function crc16CcittFalse(bytes: Uint8Array, init = 0xffff): number {
  let crc = init;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}
