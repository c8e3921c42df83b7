// docs/conformance.md lists every check of the kit with its level and section, and names every group: a check
// added without its line in the docs fails here.
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalog, GROUP_NAMES } from '../../conformance/suite/run.ts';
import { ROOT } from '../helpers/cli.ts';

const doc = fs.readFileSync(path.join(ROOT, 'docs', 'conformance.md'), 'utf8');

test('docs/conformance.md has a row per check with its level and section', () => {
  const missing = catalog().filter((c) => !doc.includes(`| \`${c.id}\` | ${c.level} | ${c.section} |`));
  assert.deepEqual(
    missing.map((c) => c.id),
    [],
  );
});

test('docs/conformance.md describes every group', () => {
  for (const g of GROUP_NAMES) assert.match(doc, new RegExp(`\\*\\*${g}\\*\\*`), g);
});
