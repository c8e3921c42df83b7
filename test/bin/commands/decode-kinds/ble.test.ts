// The BLE kind table of `decode`, in-process: every CLI vector gives exactly the expected JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeKinds } from '../../../../bin/commands/decode-kinds/index.ts';
import { kinds } from '../../../../bin/commands/decode-kinds/ble.ts';
import { CodecError } from '../../../../drivers/codecs/codec-error.ts';
import { parseHex } from '../../../../drivers/codecs/hex.ts';
import { INVALID, VALID } from '../../decode-ble-vectors.ts';

function call(args: string[]): unknown {
  const [kind, hex, ...flags] = args;
  const decode = decodeKinds[kind];
  if (!decode) throw new Error(`unknown kind ${kind}`);
  const i = flags.indexOf('--service');
  const service = i >= 0 ? (flags[i + 1] as 'gls' | 'cgms') : undefined;
  return decode(parseHex(hex), { crc: flags.includes('--crc'), service });
}

describe('decode kinds: BLE table', () => {
  it('has the ten BLE kinds, all reachable through the merged table', () => {
    assert.deepEqual(Object.keys(kinds).sort(), [
      'cgm-feature',
      'cgm-measurement',
      'cgm-session-run-time',
      'cgm-session-start-time',
      'cgm-socp',
      'cgm-status',
      'glucose-context',
      'glucose-feature',
      'glucose-measurement',
      'racp',
    ]);
    for (const name of Object.keys(kinds)) assert.equal(decodeKinds[name], kinds[name]);
  });

  for (const [args, expected] of VALID) {
    it(`${args.join(' ')}`, () => {
      assert.equal(JSON.stringify(call(args)), JSON.stringify(expected));
    });
  }

  for (const [args, reason] of INVALID) {
    if (!(args[0] in kinds)) continue;
    it(`${args.join(' ')} → CodecError`, () => {
      assert.throws(
        () => call(args),
        (err: unknown) => err instanceof CodecError && reason.test(`${err.code}: ${err.message}`),
      );
    });
  }
});
