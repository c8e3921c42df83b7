// Runs a simulated serial meter from a scenario file until interrupted, for demos and bench rigs:
//   node --import tsx firmware-bridge/meters/run-meter.ts scenario.json
// prints the path to give the gateway (`hddt-gateway dump --port <path> ...`) on stdout.
import fs from 'node:fs';
import { createMeterPty } from './pty-pair.ts';
import { parseScenario, syntheticRecords } from './scenario.ts';
import { startMeter } from './simulator.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: run-meter.ts <scenario.json>\n');
  process.exit(2);
}
let json: string;
try {
  json = fs.readFileSync(file, 'utf8');
} catch (err) {
  process.stderr.write(`run-meter: cannot read ${file}: ${(err as Error).message}\n`);
  process.exit(2);
}
const raw = JSON.parse(json) as { synthetic?: { count: number; newest: string } };
// `"synthetic": { "count": 500, "newest": "2024-11-20T18:00:00" }` fills `records` with generated ones.
if (raw.synthetic)
  Object.assign(raw, { records: syntheticRecords(raw.synthetic.count, { newest: raw.synthetic.newest }) });
const scenario = parseScenario(JSON.stringify(raw));
const pty = await createMeterPty();
const meter = await startMeter(scenario, { path: pty.meterPath, onUnplug: () => pty.close() });
process.stdout.write(`${pty.gatewayPath}\n`);
const stop = async (): Promise<void> => {
  await meter.stop();
  await pty.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
