// The raw byte-rate ceiling of the pty path: the same socat pair, the same coalescing writer as the
// controller and the same serialport reader as noble's UART driver, with no BLE stack in between.
import { SerialPort } from 'serialport';
import { DEFAULT_BAUD_RATE, H4Link } from './h4-link.ts';
import { createPtyPair } from './pty.ts';

export interface ByteRateResult {
  packets: number;
  bytes: number;
  ms: number;
  bytesPerSecond: number;
  packetsPerSecond: number;
}

/** Pushes the buffers controller -> host through a fresh pty pair and measures until the last byte arrives. */
export async function measurePtyByteRate(
  buffers: readonly Uint8Array[],
  opts: { timeoutMs?: number; baudRate?: number } = {},
): Promise<ByteRateResult> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const baudRate = opts.baudRate ?? DEFAULT_BAUD_RATE;
  const pty = await createPtyPair();
  let writer: H4Link | null = null;
  const reader = new SerialPort({ path: pty.hostPath, baudRate, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => reader.open((e) => (e ? reject(e) : resolve())));
    writer = await H4Link.open(pty.controllerPath, baudRate);
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received} of ${total} bytes arrived`)),
        opts.timeoutMs ?? 60_000,
      );
      if (total === 0) {
        clearTimeout(timer);
        resolve();
      }
      reader.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= total) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const start = process.hrtime.bigint();
    for (const b of buffers) {
      if (writer.backlog > 0) await writer.whenWritable();
      writer.write(Buffer.from(b.buffer, b.byteOffset, b.length));
    }
    await done;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const seconds = Math.max(ms, 1e-3) / 1000;
    return {
      packets: buffers.length,
      bytes: total,
      ms,
      bytesPerSecond: total / seconds,
      packetsPerSecond: buffers.length / seconds,
    };
  } finally {
    await writer?.close();
    if (reader.isOpen) await new Promise<void>((resolve) => reader.close(() => resolve()));
    await pty.close();
  }
}
