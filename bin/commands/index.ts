// The sub-commands. Each module is imported only when its command runs (`hddt-gateway decode ...` must not pay
// for fastify, noble and serialport); `hddt-gateway --help` lists them from this table without loading any.
// Adding a command = one file in this folder + one entry here (a file that registers several commands appears
// once per name). `args` and `description` are what the module registers (test/bin/commands/index.test.ts).
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;
export type CommandLoader = () => Promise<{ register: RegisterCommand }>;

export interface CommandEntry {
  /** options and arguments as the top-level help shows them after the name */
  args: string;
  description: string;
  load: CommandLoader;
}

// prettier-ignore
export const commands: Record<string, CommandEntry> = {
  run: { args: '[options]', load: () => import('./run.ts'),
    description: 'start the gateway: drivers, HDDT server and MQTT sync as configured; stops on SIGINT/SIGTERM' },
  import: { args: '[options] <file>', load: () => import('./import.ts'),
    description: 'ingest readings from a JSON-lines file; bad lines are reported by line number and skipped' },
  backup: { args: '[options] <file>', load: () => import('./backup.ts'),
    description: 'consistent online snapshot of the database and data directory, encrypted (AES-256-GCM)' },
  restore: { args: '[options] <file>', load: () => import('./backup.ts'),
    description: 'decrypt and unpack a backup into an empty data directory (refuses wrong keys and damaged files)' },
  certs: { args: '', load: () => import('./certs.ts'),
    description: 'Certificates for development and tests' },
  patient: { args: '', load: () => import('./patient.ts'),
    description: 'Patient accounts (pseudonymous; password and TOTP)' },
  device: { args: '', load: () => import('./device.ts'),
    description: 'Device assignments (periods)' },
  decode: { args: '[options] <kind> <hex>', load: () => import('./decode.ts'),
    description: 'decode a device value given as hex and print it as JSON' },
  logs: { args: '', load: () => import('./logs.ts'),
    description: 'HDDT request log: verify the hash chain, query lines' },
  dump: { args: '[options]', load: () => import('./dump.ts'),
    description: 'read all records from a serial or USB glucose meter into the store' },
  simulate: { args: '[options]', load: () => import('./simulate.ts'),
    description: 'simulate BLE glucose sensors from a scenario file on a virtual HCI controller (prints the pty for noble), or on real Bluetooth adapters with --adapter' },
  pair: { args: '', load: () => import('./pair.ts'),
    description: 'BLE devices the gateway reads: scan nearby ones, add, list, remove' },
  ble: { args: '', load: () => import('./ble-capture.ts'),
    description: 'BLE field tools: capture a device into a file the simulator replays' },
  maintenance: { args: '', load: () => import('./maintenance.ts'),
    description: 'Planned maintenance (HDDT §4.6): status feed and 503 answers' },
  status: { args: '[options]', load: () => import('./status.ts'),
    description: 'devices, last readings, sensor sessions, sync backlog, pairings and recent errors' },
  consume: { args: '[options]', load: () => import('./consume.ts'),
    description: 'recorder: consume hub batches from MQTT into a store (stops on SIGINT/SIGTERM)' },
  'diga-client': { args: '', load: () => import('./diga-client.ts'),
    description: 'reference DiGA client: pairing (PAR, PKCE, mTLS), HDDT polling, JSON lines output' },
  conformance: { args: '[options]', load: () => import('./conformance.ts'),
    description: 'HDDT conformance kit: checks any Device Data Recorder (OAuth, FHIR, profiles, logs) and writes JUnit, HTML and JSON reports' },
  demo: { args: '[options]', load: () => import('./demo.ts'),
    description: 'run the gateway with a simulated BLE CGM and glucose meter, a simulated serial meter, a demo patient and the reference DiGA client; Ctrl-C stops' },
};
