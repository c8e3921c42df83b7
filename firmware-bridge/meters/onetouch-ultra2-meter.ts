// A simulated LifeScan OneTouch Ultra 2 speaking the "DM" text protocol on a pty. Faults hit the dump line of
// record `at`: bad-checksum (line with a wrong checksum), cut (half the line, then the meter stops talking),
// silence (the meter stops before the line), noise (bytes before the line), nak (a NAK byte instead of the
// line: the DM protocol has no NAK, so the gateway sees garbage), unplug (cable pulled before the line).
import { decodeOneTouchCommand, encodeOneTouchLine } from '../../drivers/codecs/onetouch-ultra2-line.ts';
import {
  encodeUltra2Clock,
  encodeUltra2DumpHeader,
  encodeUltra2Record,
  encodeUltra2Serial,
  encodeUltra2Unit,
  ultra2DayOfWeek,
} from '../../drivers/codecs/onetouch-ultra2-payload.ts';
import type { MeterPort } from './meter-port.ts';
import { corruptChecksum, firstHalf } from './meter-port.ts';
import type { Scenario } from './scenario.ts';
import { FaultPlan, meterClock, noiseSource } from './scenario.ts';

export const ULTRA2_VERSION = '?P02.00.00 30/08/06';

export function ultra2RecordLine(r: Scenario['records'][number]): string {
  return encodeOneTouchLine(
    encodeUltra2Record({
      dayOfWeek: ultra2DayOfWeek(r.time),
      localTime: r.time,
      control: r.control ?? false,
      value: r.value,
      ...(r.flag ? { flag: r.flag } : {}),
      parityError: r.unreliable ?? false,
      meal: r.meal ?? 'none',
      comment: 0,
    }),
  );
}

export function startUltra2Meter(port: MeterPort, scenario: Scenario): void {
  const faults = new FaultPlan(scenario.faults);
  const noise = noiseSource(scenario.seed ?? 1);
  const clock = meterClock(scenario.clock);
  let busy = Promise.resolve();

  const handle = async (command: string): Promise<void> => {
    if (command === 'DM?') await port.write(encodeOneTouchLine(ULTRA2_VERSION));
    else if (command === 'DM@') await port.write(encodeOneTouchLine(encodeUltra2Serial(scenario.serial)));
    else if (command === 'DMF') await port.write(encodeOneTouchLine(encodeUltra2Clock(clock())));
    else if (command === 'DMSU?') await port.write(encodeOneTouchLine(encodeUltra2Unit(scenario.unit)));
    else if (command === 'DMP') await writeDump(port, scenario, faults, noise);
    // Anything else: a real meter stays silent.
  };
  port.onData(
    commandSplitter((command) => {
      busy = busy.then(() => handle(command));
    }),
  );
}

/** The DMP answer: header, then one line per record, the scheduled fault at its record. */
async function writeDump(
  port: MeterPort,
  scenario: Scenario,
  faults: FaultPlan,
  noise: ReturnType<typeof noiseSource>,
): Promise<void> {
  const header = { count: scenario.records.length, serial: scenario.serial, unit: scenario.unit };
  await port.write(encodeOneTouchLine(encodeUltra2DumpHeader(header)));
  let out = '';
  for (const [i, r] of scenario.records.entries()) {
    const line = ultra2RecordLine(r);
    const fault = faults.take(i);
    if (!fault) {
      out += line;
      continue;
    }
    await port.write(out);
    out = '';
    switch (fault.kind) {
      case 'bad-checksum':
        out += corruptChecksum(Buffer.from(line, 'latin1'), 3).toString('latin1');
        break;
      case 'noise':
        out += noise(fault.bytes ?? 16).toString('latin1') + line;
        break;
      case 'nak':
        out += '\x15\r\n';
        break;
      case 'cut':
        await port.write(firstHalf(Buffer.from(line, 'latin1')));
        return;
      case 'silence':
        return;
      case 'unplug':
        await port.unplug();
        return;
    }
  }
  await port.write(out);
}

/** Cuts the incoming bytes into commands (DC1 CR <text> CR); what does not decode is dropped. */
function commandSplitter(onCommand: (command: string) => void): (chunk: Buffer) => void {
  let input = Buffer.alloc(0);
  return (chunk) => {
    input = Buffer.concat([input, chunk]);
    for (;;) {
      const start = input.indexOf(0x11);
      if (start < 0) {
        input = Buffer.alloc(0);
        return;
      }
      const end = input.indexOf(0x0d, start + 2);
      if (end < 0) {
        input = input.subarray(start);
        return;
      }
      const bytes = input.subarray(start, end + 1);
      input = input.subarray(end + 1);
      let command: string;
      try {
        command = decodeOneTouchCommand(bytes);
      } catch {
        continue;
      }
      onCommand(command);
    }
  };
}
