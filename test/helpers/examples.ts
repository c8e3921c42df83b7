// The HDDT example resources from the spec, used as fixtures. A copy of ../shared/spec/hddt-examples lives in
// test/fixtures so a clone anywhere runs the tests (the spec folder sits beside the project only on our machines).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/hddt-examples',
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function example(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, `${name}.json`), 'utf8'));
}
