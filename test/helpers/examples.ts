// The HDDT example resources from the spec, used as fixtures.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/spec/hddt-examples',
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function example(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, `${name}.json`), 'utf8'));
}
