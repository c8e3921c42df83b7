import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOneTouchCommand } from '../../../drivers/codecs/onetouch-ultra2-line.ts';
import type { Scenario } from '../../../firmware-bridge/meters/scenario.ts';
import { wire } from './wire.ts';

const scenario: Scenario = {
  protocol: 'onetouch-ultra2',
  serial: '12345678Y',
  unit: 'mmol/L',
  clock: '2013-08-03T22:12:00',
  records: [
    { time: '2013-08-03T08:15:00', value: 123, meal: 'before' },
    { time: '2013-08-02T07:00:00', value: 600, flag: 'high', control: true },
  ],
};

const lines = (b: Buffer): string[] => b.toString('latin1').split('\r\n').slice(0, -1);

test('Ultra 2 simulator: version, serial, clock, unit and dump lines on the wire', async (t) => {
  const w = await wire(t, scenario);
  w.send(encodeOneTouchCommand('DM?'));
  assert.deepEqual(lines(await w.until((b) => lines(b).length === 1)), [
    `?P02.00.00 30/08/06 ${checksum('?P02.00.00 30/08/06')}`,
  ]);
  w.clear();
  w.send(encodeOneTouchCommand('DM@'));
  assert.deepEqual(lines(await w.until((b) => lines(b).length === 1)), [
    `@ "12345678Y" ${checksum('@ "12345678Y"')}`,
  ]);
  w.clear();
  w.send(encodeOneTouchCommand('DMF'));
  const [clock] = lines(await w.until((b) => lines(b).length === 1));
  assert.match(clock, /^F "SAT","08\/03\/13","22:12:0\d {3}" [0-9A-F]{4}$/);
  w.clear();
  w.send(encodeOneTouchCommand('DMSU?'));
  assert.deepEqual(lines(await w.until((b) => lines(b).length === 1)), [
    `SU?,"MMOL/L" ${checksum('SU?,"MMOL/L"')}`,
  ]);
  w.clear();
  w.send(encodeOneTouchCommand('DMP'));
  const dump = lines(await w.until((b) => lines(b).length === 3));
  assert.deepEqual(dump, [
    `P 002,"12345678Y","MMOL/L" ${checksum('P 002,"12345678Y","MMOL/L"')}`,
    `P "SAT","08/03/13","08:15:00   ","  123 ","B","00", 00 ${checksum('P "SAT","08/03/13","08:15:00   ","  123 ","B","00", 00')}`,
    `P "FRI","08/02/13","07:00:00   ","C HI  ","N","00", 00 ${checksum('P "FRI","08/02/13","07:00:00   ","C HI  ","N","00", 00')}`,
  ]);
  w.clear();
  w.send(encodeOneTouchCommand('DMZZ'));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal((await w.until(() => true)).length, 0, 'unknown commands get no answer');
});

function checksum(payload: string): string {
  let s = 0;
  for (const c of payload) s += c.charCodeAt(0);
  return (s & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

test('Ultra 2 simulator: a bad-checksum fault corrupts exactly one dump line, once', async (t) => {
  const w = await wire(t, { ...scenario, faults: [{ kind: 'bad-checksum', at: 1 }] });
  w.send(encodeOneTouchCommand('DMP'));
  const first = lines(await w.until((b) => lines(b).length === 3));
  const good = (l: string): boolean => checksum(l.slice(0, -5)) === l.slice(-4);
  assert.deepEqual(first.map(good), [true, true, false]);
  w.clear();
  w.send(encodeOneTouchCommand('DMP'));
  assert.deepEqual(lines(await w.until((b) => lines(b).length === 3)).map(good), [true, true, true]);
});
