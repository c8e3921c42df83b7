// CSV writing: a real parser (csv-parse) reads back exactly the rows written, whatever the fields hold; the
// spreadsheet guard; local times with their offset across the DST changes of Europe/Berlin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { csvLine, csvText, spreadsheetSafe } from '../../../server/export/csv.ts';
import { localIso } from '../../../server/export/local-time.ts';
import { readingFlags } from '../../../server/export/readings-csv.ts';

// Fields made mostly of the characters CSV treats specially, and any other text.
const field = fc.oneof(
  fc.string({ unit: fc.constantFrom(',', '"', '\r', '\n', ' ', 'a', 'ä', '=', ';', "'") }),
  fc.string({ unit: 'grapheme' }),
);

test('parse(stringify(rows)) gives the rows back (csv-parse, RFC 4180)', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 6 })
        .chain((width) => fc.array(fc.array(field, { minLength: width, maxLength: width }))),
      (rows) => {
        assert.deepEqual(parse(csvText(rows), { skip_empty_lines: false }), rows);
      },
    ),
    { numRuns: 500 },
  );
});

test('quotes only what needs it, doubles quotes, ends lines with CRLF', () => {
  assert.equal(csvLine(['a', 'b c', '']), 'a,b c,\r\n');
  assert.equal(csvLine(['x,y', 'say "hi"', 'two\nlines']), '"x,y","say ""hi""","two\nlines"\r\n');
});

test('text that a spreadsheet would run as a formula is defused', () => {
  for (const s of ['=1+1', '+49', '-3', '@SUM(A1)', '\tx']) assert.equal(spreadsheetSafe(s), `'${s}`);
  for (const s of ['Glukko Inc.', 'SN-1', '', "'quoted"]) assert.equal(spreadsheetSafe(s), s);
});

test('local time has the offset of the instant (Europe/Berlin, both DST changes)', () => {
  const z = 'Europe/Berlin';
  assert.equal(localIso(Date.parse('2025-03-30T00:59:59.250Z'), z), '2025-03-30T01:59:59.250+01:00');
  assert.equal(localIso(Date.parse('2025-03-30T01:00:00Z'), z), '2025-03-30T03:00:00.000+02:00');
  assert.equal(localIso(Date.parse('2025-10-26T00:30:00Z'), z), '2025-10-26T02:30:00.000+02:00');
  assert.equal(localIso(Date.parse('2025-10-26T01:30:00Z'), z), '2025-10-26T02:30:00.000+01:00');
  assert.equal(localIso(Date.parse('2025-06-01T12:00:00Z'), 'UTC'), '2025-06-01T12:00:00.000+00:00');
  assert.equal(
    localIso(Date.parse('2025-06-01T12:00:00Z'), 'America/St_Johns'),
    '2025-06-01T09:30:00.000-02:30',
  );
});

test('local time names the same instant as UTC (any instant, any of a few zones)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.parse('1990-01-01T00:00:00Z'), max: Date.parse('2090-01-01T00:00:00Z') }),
      fc.constantFrom('Europe/Berlin', 'UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'),
      (ms, zone) => {
        assert.equal(Date.parse(localIso(ms, zone)), ms);
      },
    ),
  );
});

test('flags: LO, HI, ERROR with the reason, CONTROL', () => {
  assert.equal(readingFlags({ flag: null, flag_reason: null, control: 0 }), '');
  assert.equal(readingFlags({ flag: 'low', flag_reason: null, control: 0 }), 'LO');
  assert.equal(readingFlags({ flag: 'high', flag_reason: null, control: 1 }), 'HI;CONTROL');
  assert.equal(readingFlags({ flag: 'error', flag_reason: 'strip-error', control: 0 }), 'ERROR:strip-error');
  assert.equal(readingFlags({ flag: 'error', flag_reason: null, control: 0 }), 'ERROR');
});
