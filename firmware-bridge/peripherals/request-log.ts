// What the central wrote to a control point, byte for byte, so tests can assert exactly what a
// gateway asked for (e.g. only "sequence ≥ 501").
export interface RequestLogEntry {
  readonly at: Date;
  /** lower-case hex without separators, e.g. "0103 01f501" → "010301f501" */
  readonly hex: string;
  readonly bytes: Buffer;
}

export function logEntry(bytes: Uint8Array): RequestLogEntry {
  const copy = Buffer.from(bytes);
  return { at: new Date(), hex: copy.toString('hex'), bytes: copy };
}
