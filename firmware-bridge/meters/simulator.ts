// Starts a simulated serial meter for a scenario on the meter end of a pty.
import { startContourMeter } from './astm-contour-meter.ts';
import { MeterPort } from './meter-port.ts';
import { startUltra2Meter } from './onetouch-ultra2-meter.ts';
import { startUltraEasyMeter } from './onetouch-ultraeasy-meter.ts';
import type { Scenario } from './scenario.ts';
import { validateScenario } from './scenario.ts';

export interface RunningMeter {
  port: MeterPort;
  stop(): Promise<void>;
}

export async function startMeter(
  scenario: Scenario,
  opts: { path: string; onUnplug?: () => Promise<void> | void },
): Promise<RunningMeter> {
  const s = validateScenario(scenario);
  const port = await MeterPort.open({ path: opts.path, onUnplug: opts.onUnplug });
  if (s.protocol === 'onetouch-ultra2') startUltra2Meter(port, s);
  else if (s.protocol === 'onetouch-ultraeasy') startUltraEasyMeter(port, s);
  else startContourMeter(port, s);
  return { port, stop: () => port.close() };
}
