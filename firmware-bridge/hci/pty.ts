// A pseudo-terminal pair made by socat: the controller opens one end, noble's UART driver the other.
import { createSocatPty } from '../socat-pty.ts';

export interface PtyPair {
  /** the end the virtual controller opens */
  readonly controllerPath: string;
  /** the end handed to noble (BLUETOOTH_HCI_SOCKET_UART_PORT or bindParams.uart.port) */
  readonly hostPath: string;
  /** kills socat and removes the links; safe to call twice */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  socatPath?: string;
  /** directory for the two symlinks; a fresh temp dir (removed on close) by default */
  dir?: string;
  timeoutMs?: number;
}

export async function createPtyPair(opts: PtyPairOptions = {}): Promise<PtyPair> {
  const pty = await createSocatPty({ ...opts, names: ['controller', 'host'], tempPrefix: 'hci-pty-' });
  return { controllerPath: pty.paths[0], hostPath: pty.paths[1], close: pty.close };
}
