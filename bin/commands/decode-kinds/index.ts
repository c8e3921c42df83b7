// All `decode` kinds, merged from one table per transport. Each table module exports `kinds`;
// adding a table is one entry in the list below: `(await import('./<name>.ts')).kinds`.
import type { DecodeKinds } from './types.ts';

const tables: DecodeKinds[] = [
  (await import('./ble.ts')).kinds,
  (await import('./serial.ts')).kinds,
  (await import('./usb.ts')).kinds,
];

function merge(parts: DecodeKinds[]): DecodeKinds {
  const out: Record<string, DecodeKinds[string]> = {};
  for (const part of parts) {
    for (const [name, decode] of Object.entries(part)) {
      if (name in out) throw new Error(`decode kind ${name} is defined twice`);
      out[name] = decode;
    }
  }
  return out;
}

export const decodeKinds: DecodeKinds = merge(tables);
