// Test rig for USB meter dumps: a temp SQLite store and a simulated meter behind an in-memory link.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { storePort } from '../../../gateway/ingest/port.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import type { SessionOptions } from '../../../drivers/serial/meter-session.ts';

export const FAST: Partial<SessionOptions> = { timeouts: { replyMs: 200, quietMs: 20 }, retries: 3 };

export function storeRig(t: TestContext): { store: Store; port: ReturnType<typeof storePort>; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usb-test-'));
  const store = openStore({ path: path.join(dir, 'gateway.db') });
  t.after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store, port: storePort(store), dir };
}
