import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assertTimeZone,
  localTimeToUtc,
  TimeZoneError,
  utcToLocalTime,
  zoneOffsetMs,
} from '../../../drivers/serial/local-time.ts';
import { berlinToUtc } from './dump-suite.ts';

const utc = (local: string, tz = 'Europe/Berlin'): string => localTimeToUtc(local, tz).toISOString();

test('Europe/Berlin across both DST changes of 2024', () => {
  assert.equal(utc('2024-01-15T12:00:00'), '2024-01-15T11:00:00.000Z');
  assert.equal(utc('2024-07-15T12:00:00'), '2024-07-15T10:00:00.000Z');
  // Spring forward, 31 March 2024 02:00 → 03:00: 02:30 does not exist and moves forward by the gap.
  assert.equal(utc('2024-03-31T01:59:59'), '2024-03-31T00:59:59.000Z');
  assert.equal(utc('2024-03-31T02:30:00'), '2024-03-31T01:30:00.000Z');
  assert.equal(utc('2024-03-31T03:00:00'), '2024-03-31T01:00:00.000Z');
  // Fall back, 27 October 2024 03:00 → 02:00: 02:30 exists twice; the earlier (CEST) is taken.
  assert.equal(utc('2024-10-27T01:59:59'), '2024-10-26T23:59:59.000Z');
  assert.equal(utc('2024-10-27T02:30:00'), '2024-10-27T00:30:00.000Z');
  assert.equal(utc('2024-10-27T03:00:00'), '2024-10-27T02:00:00.000Z');
});

test('other zones: New York, Lord Howe (30-minute DST), UTC', () => {
  assert.equal(utc('2024-03-10T02:30:00', 'America/New_York'), '2024-03-10T07:30:00.000Z');
  assert.equal(utc('2024-11-03T01:30:00', 'America/New_York'), '2024-11-03T05:30:00.000Z');
  assert.equal(utc('2024-06-01T12:00:00', 'Australia/Lord_Howe'), '2024-06-01T01:30:00.000Z');
  assert.equal(utc('2024-01-01T12:00:00', 'Australia/Lord_Howe'), '2024-01-01T01:00:00.000Z');
  assert.equal(utc('2024-06-01T12:00:00', 'UTC'), '2024-06-01T12:00:00.000Z');
  assert.equal(zoneOffsetMs(Date.parse('2024-07-01T00:00:00Z'), 'Europe/Berlin'), 7_200_000);
});

test('unknown zones and malformed times are refused', () => {
  assert.throws(() => assertTimeZone('Mars/Olympus'), TimeZoneError);
  assert.throws(() => localTimeToUtc('2024-01-01 12:00', 'UTC'), RangeError);
});

test('matches an independent EU-rule oracle for every minute-ish of 2023..2025 (sampled)', () => {
  const local = fc
    .date({
      min: new Date('2023-01-01T00:00:00Z'),
      max: new Date('2025-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 19));
  fc.assert(
    fc.property(local, (t) => assert.equal(utc(t), berlinToUtc(t))),
    { numRuns: 3000 },
  );
  for (const t of [
    '2023-03-26T02:15:00',
    '2023-10-29T02:15:00',
    '2025-03-30T02:59:59',
    '2025-10-26T02:00:00',
  ]) {
    assert.equal(utc(t), berlinToUtc(t), t);
  }
});

test('local → UTC → local is the identity except in the spring gap', () => {
  fc.assert(
    fc.property(
      fc.date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2037-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
      fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'),
      (d, tz) => {
        const instant = new Date(Math.floor(d.getTime() / 1000) * 1000);
        const wall = utcToLocalTime(instant, tz);
        // Every instant's wall time maps back to an instant with the same wall time (overlaps pick the earlier).
        assert.equal(utcToLocalTime(localTimeToUtc(wall, tz), tz), wall);
      },
    ),
    { numRuns: 2000 },
  );
});
