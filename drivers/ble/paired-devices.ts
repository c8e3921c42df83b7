// The devices an operator added with `hddt-gateway pair add`: a small JSON file in the data directory, written by
// the CLI and read by the running gateway. The gateway re-reads it when its modification time changes, so a
// device paired while the gateway runs is connected at its next advertisement without a restart.
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../lib/errors.ts';
import { normalizeAddress } from './uuids.ts';

export interface PairedDevice {
  address: string;
  name?: string;
  /** ISO time it was added. */
  addedAt: string;
  /** Bonded through BlueZ (passkey / Just Works), not only listed. */
  bonded?: boolean;
}

export class PairedFileError extends GatewayError {
  constructor(message: string) {
    super('ERR_BLE_PAIRED_FILE', message);
  }
}

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function parse(text: string, file: string): PairedDevice[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PairedFileError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const list = (doc as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(list)) throw new PairedFileError(`${file}: expected {"devices": [...]}`);
  return list.map((d: unknown, i) => {
    const address =
      typeof (d as PairedDevice)?.address === 'string' ? normalizeAddress((d as PairedDevice).address) : '';
    if (!ADDRESS.test(address))
      throw new PairedFileError(`${file}: devices[${i}].address is not aa:bb:cc:dd:ee:ff`);
    return { ...(d as PairedDevice), address };
  });
}

export class PairedDevices {
  readonly file: string;
  private cached: PairedDevice[] = [];
  private mtimeMs = -1;

  constructor(file: string) {
    this.file = file;
  }

  /** The current list (re-read when the file changed; a missing file is an empty list). */
  list(): PairedDevice[] {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      this.cached = [];
      this.mtimeMs = -1;
      return [];
    }
    if (stat.mtimeMs !== this.mtimeMs) {
      this.cached = parse(fs.readFileSync(this.file, 'utf8'), this.file);
      this.mtimeMs = stat.mtimeMs;
    }
    return this.cached;
  }

  has(address: string): boolean {
    const a = normalizeAddress(address);
    return this.list().some((d) => d.address === a);
  }

  /** Adds or updates a device; returns the stored entry. */
  add(device: Omit<PairedDevice, 'addedAt'> & { addedAt?: string }): PairedDevice {
    const address = normalizeAddress(device.address);
    if (!ADDRESS.test(address))
      throw new PairedFileError(`${device.address} is not a Bluetooth address aa:bb:cc:dd:ee:ff`);
    const others = this.list().filter((d) => d.address !== address);
    const entry: PairedDevice = { ...device, address, addedAt: device.addedAt ?? new Date().toISOString() };
    this.write([...others, entry]);
    return entry;
  }

  /** Removes a device; false when it was not listed. */
  remove(address: string): boolean {
    const a = normalizeAddress(address);
    const list = this.list();
    if (!list.some((d) => d.address === a)) return false;
    this.write(list.filter((d) => d.address !== a));
    return true;
  }

  /** Whole-file replace through a temp file and rename: a reader never sees half a list. */
  private write(devices: PairedDevice[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ devices }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    this.mtimeMs = -1;
  }
}
