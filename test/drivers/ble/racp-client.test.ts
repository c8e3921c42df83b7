// The RACP client's inactivity timeout: records keep a long transfer alive, silence aborts it. Fake timers and
// a fake clock, no real waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RacpClient, RacpError } from '../../../drivers/ble/racp-client.ts';
import type { GattLink } from '../../../drivers/ble/transport.ts';

/** lets promise callbacks run (setImmediate is not faked) */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function fakeLink() {
  const writes: string[] = [];
  let onValue: ((v: Buffer) => void) | null = null;
  const link: GattLink = {
    address: 'c0:11:22:33:44:55',
    connected: true,
    has: () => true,
    read: () => Promise.resolve(Buffer.alloc(0)),
    write: (_s, _c, data) => {
      writes.push(Buffer.from(data).toString('hex'));
      return Promise.resolve();
    },
    subscribe: (_s, _c, cb) => {
      onValue = cb;
      return Promise.resolve();
    },
    onDisconnect: () => undefined,
    disconnect: () => Promise.resolve(),
  };
  return { link, writes, indicate: (hex: string) => onValue?.(Buffer.from(hex, 'hex')) };
}

test('records keep a transfer alive past the timeout; silence then aborts it after exactly the timeout', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const advance = (ms: number) => {
    clock += ms;
    t.mock.timers.tick(ms);
  };
  const { link, writes } = fakeLink();
  const racp = new RacpClient(link, '181f', 'cgms', 1000, () => clock);
  await racp.subscribe();
  const state: { outcome: unknown } = { outcome: 'pending' };
  racp.request({ opCode: 'report-stored-records', operator: 'all' }).then(
    (r) => (state.outcome = r),
    (e: unknown) => (state.outcome = e),
  );
  await settle(); // the write resolves, the timer is armed
  // a record every 100 ms for 5 s: five times the timeout, never cut off
  for (let i = 0; i < 50; i++) {
    advance(100);
    racp.touch();
  }
  await settle();
  assert.equal(state.outcome, 'pending', 'a transfer that keeps delivering is not cut off');
  advance(999);
  await settle();
  assert.equal(state.outcome, 'pending', 'not before the timeout has passed since the last record');
  advance(1);
  await settle();
  const aborted = (): unknown => state.outcome;
  assert.ok(aborted() instanceof RacpError, `aborted after 1000 ms of silence, got ${String(aborted())}`);
  assert.deepEqual(writes, ['0101', '0300'], 'the request, then Abort Operation');
});

test('the response indication ends the wait and no abort follows', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const { link, writes, indicate } = fakeLink();
  const racp = new RacpClient(link, '181f', 'cgms', 1000, () => clock);
  await racp.subscribe();
  const answer = racp.request({ opCode: 'report-stored-records', operator: 'all' });
  await settle();
  clock += 500;
  t.mock.timers.tick(500);
  racp.touch();
  indicate('06000101');
  const r = await answer;
  assert.equal(r.opCode, 'response-code');
  clock += 5000;
  t.mock.timers.tick(5000);
  assert.deepEqual(writes, ['0101']);
  assert.equal(racp.busy, false);
});
