// The shape of a `decode` kind table: kind name → decoder from bytes to a JSON-able value.
// A decoder throws CodecError for invalid input; `decode` turns that into exit code 2 and one line.

export interface DecodeOptions {
  /** `--crc`: the peer supports E2E-CRC, so a value without one is invalid. */
  readonly crc: boolean;
  /** `--service`: names RACP filter type 0x01 (GLS sequence number / CGMS time offset). */
  readonly service?: 'gls' | 'cgms';
}

export type DecodeKind = (bytes: Uint8Array, opts: DecodeOptions) => unknown;

export type DecodeKinds = Readonly<Record<string, DecodeKind>>;
