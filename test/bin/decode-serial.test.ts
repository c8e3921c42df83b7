// `hddt-gateway decode` for the serial kinds: the kind table in-process for every vector, and the real CLI
// (child process) once per kind for valid and invalid input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kinds } from '../../bin/commands/decode-kinds/serial.ts';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { spawnCli, type CliResult } from '../helpers/cli.ts';

const hexOf = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const opts = { crc: false };

const HEADER =
  'H|\\^&||7w3LBL|Bayer7390^01.24\\01.04\\09.02.20^7390-2336773^7403-|A=1^C=63^G=1^I=0200^R=0^S=1^U=0^' +
  'V=10600^X=070070070070180130150250^Y=360126090050099050300089^Z=1|1714||||||1|201909221304';

const VALID: [string, string, (v: Record<string, unknown>) => void][] = [
  [
    'onetouch-line',
    hexOf('T "SAT","08/03/13","22:12:00   " 0608\r\n'),
    (v) =>
      assert.deepEqual(v, {
        payload: 'T "SAT","08/03/13","22:12:00   "',
        checksum: 0x608,
        type: 'clock',
        dayOfWeek: 'SAT',
        deviceTime: '08/03/13 22:12:00',
        localTime: '2013-08-03T22:12:00',
      }),
  ],
  ['onetouch-line', hexOf('P "WED","01/09/13","08:15:00   ","C 099?","B","05", 00 ') + '', () => {}],
  [
    'onetouch-frame',
    '02 09 03 05 0D 02 03 08 9F',
    (v) =>
      assert.deepEqual(v, {
        link: { sequence: true, expectReceive: true, ack: false, disconnect: false, more: false },
        message: '050d02',
        request: { kind: 'version' },
      }),
  ],
  [
    'onetouch-frame',
    '02 06 06 03 CD 41',
    (v) =>
      assert.deepEqual(v.link, {
        sequence: false,
        expectReceive: true,
        ack: true,
        disconnect: false,
        more: false,
      }),
  ],
  [
    'astm-frame',
    hexOf(`\x021${HEADER}\r\x17D7\r\n`),
    (v) => {
      assert.equal(v.frameNumber, 1);
      assert.equal(v.final, false);
      assert.equal(v.checksum, 0xd7);
      assert.deepEqual(v.records, [HEADER]);
    },
  ],
  [
    'astm-record',
    hexOf('R|8|^^^Glucose|133|mg/dL^P||B/X||201202052034\r'),
    (v) => {
      assert.equal(v.type, 'R');
      assert.deepEqual((v.contour as Record<string, unknown>).value, 133);
      assert.deepEqual((v.contour as Record<string, unknown>).localTime, '2012-02-05T20:34:00');
    },
  ],
  [
    'astm-record',
    hexOf(HEADER),
    (v) => {
      assert.deepEqual((v.contour as Record<string, unknown>).serial, '7390-2336773');
      assert.deepEqual(v.delimiters, { field: '|', repeat: '\\', component: '^', escape: '&' });
    },
  ],
  ['astm-record', hexOf('L|1||N'), (v) => assert.deepEqual(v.terminator, { code: 'N' })],
];

const INVALID: [string, string, string][] = [
  ['onetouch-line', hexOf('% 1337\r\n'), 'ERR_CHECKSUM_MISMATCH'],
  ['onetouch-frame', '02 06 08 03 C2 63', 'ERR_CRC_MISMATCH'],
  ['astm-frame', hexOf(`\x021L|1||N\r\x03FF\r\n`), 'ERR_CHECKSUM_MISMATCH'],
  ['astm-record', hexOf('X|1'), 'ERR_UNKNOWN_OPCODE'],
];

describe('decode kinds for serial meters (in-process)', () => {
  it('valid vectors', () => {
    // The Ultra 2 record line needs its checksum: compute it here from the payload.
    const payload = 'P "WED","01/09/13","08:15:00   ","C 099?","B","05", 00';
    let sum = 0;
    for (const c of payload) sum += c.charCodeAt(0);
    VALID[1][1] = hexOf(`${payload} ${sum.toString(16).toUpperCase().padStart(4, '0')}\r\n`);
    VALID[1][2] = (v) => {
      assert.equal(v.type, 'record');
      assert.equal(v.control, true);
      assert.equal(v.parityError, true);
      assert.equal(v.value, 99);
    };
    for (const [kind, hex, check] of VALID) {
      check(kinds[kind](Buffer.from(hex.replace(/\s/g, ''), 'hex'), opts) as Record<string, unknown>);
    }
  });

  it('invalid vectors throw CodecError with the expected code', () => {
    for (const [kind, hex, code] of INVALID) {
      assert.throws(
        () => kinds[kind](Buffer.from(hex.replace(/\s/g, ''), 'hex'), opts),
        (err) => {
          assert.ok(err instanceof CodecError);
          assert.equal(err.code, code);
          return true;
        },
      );
    }
  });
});

function run(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('hddt-gateway decode (serial kinds, real CLI)', () => {
  // A CLI start loads the whole command tree and costs seconds: one valid and one invalid run, in parallel.
  it('prints one JSON line and exits 0 for valid input; exits 2 with one line for invalid input', async () => {
    const [ok, bad] = await Promise.all([
      run(['decode', 'astm-record', hexOf('R|8|^^^Glucose|133|mg/dL^P||B/X||201202052034')]),
      run(['decode', 'onetouch-line', INVALID[0][1]]),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.split('\n').length, 2, 'one line');
    assert.equal(JSON.parse(ok.stdout).contour.value, 133);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    const lines = bad.stderr.trim().split('\n');
    assert.equal(lines.length, 1, bad.stderr);
    assert.match(lines[0], /decode onetouch-line: ERR_CHECKSUM_MISMATCH/);
  });
});
