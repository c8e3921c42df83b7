// Is the hub's own clock right? A Pi has no battery-backed clock: after a power cut it starts at its last saved
// time until NTP answers, or at a wrong one. Writing that time into a CGM's Session Start Time would misplace a
// whole sensor session, and a clock ahead would purge readings still inside their period, so the CGM driver and
// the retention job ask here first (ble.hubClock "check"; "trusted" skips the question). Sources, in order:
// systemd-timesyncd's flag file, `timedatectl show -p NTPSynchronized`, chrony's `chronyc tracking` leap status.
import { execFile } from 'node:child_process';
import fs from 'node:fs';

export interface HubClockState {
  synchronized: boolean;
  /** What said so: timesyncd, timedatectl, chrony, or none (no source answered). */
  source: 'timesyncd' | 'timedatectl' | 'chrony' | 'none' | 'trusted';
  detail?: string;
}

export interface HubClock {
  state(): Promise<HubClockState>;
}

/** Runs a command; its stdout, or null when it is missing, fails or takes longer than 2 s. */
export type CommandRunner = (cmd: string, args: string[]) => Promise<string | null>;

const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 2000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) =>
      resolve(err ? null : stdout),
    );
  });

export interface SystemClockOptions {
  /** systemd-timesyncd touches it once the clock is synchronized */
  flagFile?: string;
  run?: CommandRunner;
}

export const TIMESYNCD_FLAG = '/run/systemd/timesync/synchronized';

async function fromTimedatectl(run: CommandRunner): Promise<HubClockState | null> {
  const out = (await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']))?.trim();
  if (out === 'yes') return { synchronized: true, source: 'timedatectl' };
  if (out === 'no') return { synchronized: false, source: 'timedatectl', detail: 'NTPSynchronized=no' };
  return null;
}

async function fromChrony(run: CommandRunner): Promise<HubClockState | null> {
  const out = await run('chronyc', ['-n', 'tracking']);
  const leap = out?.match(/^Leap status\s*:\s*(.+)$/m)?.[1]?.trim();
  if (!leap) return null;
  return leap === 'Normal'
    ? { synchronized: true, source: 'chrony' }
    : { synchronized: false, source: 'chrony', detail: `leap status ${leap}` };
}

/** The hub clock as the system's time daemons see it. */
export function systemHubClock(o: SystemClockOptions = {}): HubClock {
  const flagFile = o.flagFile ?? TIMESYNCD_FLAG;
  const run = o.run ?? runCommand;
  return {
    async state() {
      if (fs.existsSync(flagFile)) return { synchronized: true, source: 'timesyncd' };
      return (
        (await fromTimedatectl(run)) ??
        (await fromChrony(run)) ?? {
          synchronized: false,
          source: 'none',
          detail: `no ${flagFile}, and neither timedatectl nor chronyc answered`,
        }
      );
    },
  };
}

/** ble.hubClock "trusted": the operator vouches for the clock. */
export const TRUSTED_HUB_CLOCK: HubClock = {
  state: () => Promise.resolve({ synchronized: true, source: 'trusted' }),
};

/** The hub clock the configuration asks for: the time daemons' word, or the operator's ("trusted"). */
export function configuredHubClock(setting: 'check' | 'trusted'): HubClock {
  return setting === 'trusted' ? TRUSTED_HUB_CLOCK : systemHubClock();
}
