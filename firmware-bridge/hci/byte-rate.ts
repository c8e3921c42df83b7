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

/**
 * The writing end of a measurement: opens `path` as the controller does, pushes the buffers with the
 * controller's back-pressure, and resolves with process.hrtime.bigint() taken just before the first write
 * (CLOCK_MONOTONIC: comparable across processes on one machine).
 */
export type PtyWriter = (path: string, baudRate: number) => Promise<bigint>;

/** The controller side of the ceiling, in this process: H4Link writes, coalesced per tick, as in a transfer. */
export async function pushPackets(
  path: string,
  buffers: readonly Uint8Array[],
  baudRate = DEFAULT_BAUD_RATE,
): Promise<bigint> {
  const writer = await H4Link.open(path, baudRate);
  try {
    const start = process.hrtime.bigint();
    for (const b of buffers) {
      if (writer.backlog > 0) await writer.whenWritable();
      writer.write(Buffer.from(b.buffer, b.byteOffset, b.length));
    }
    await writer.drain();
    return start;
  } finally {
    await writer.close();
  }
}

/**
 * Pushes the buffers controller -> host through a fresh pty pair and measures until the last byte arrives.
 * `opts.writer` runs the writing end elsewhere (another process, as the controller in a bench); it must push
 * exactly `buffers`' bytes (only their count and total are used here then).
 */
export async function measurePtyByteRate(
  buffers: readonly Uint8Array[],
  opts: { timeoutMs?: number; baudRate?: number; writer?: PtyWriter } = {},
): Promise<ByteRateResult> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  return measurePtyByteRateOf(
    { packets: buffers.length, bytes: total },
    opts.writer ?? ((path, baud) => pushPackets(path, buffers, baud)),
    opts,
  );
}

/** measurePtyByteRate for bytes that live where `writer` runs: only their count and total are known here. */
export async function measurePtyByteRateOf(
  what: { packets: number; bytes: number },
  writer: PtyWriter,
  opts: { timeoutMs?: number; baudRate?: number } = {},
): Promise<ByteRateResult> {
  const total = what.bytes;
  const baudRate = opts.baudRate ?? DEFAULT_BAUD_RATE;
  const pty = await createPtyPair();
  const reader = new SerialPort({ path: pty.hostPath, baudRate, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => reader.open((e) => (e ? reject(e) : resolve())));
    let received = 0;
    let end = 0n;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${received} of ${total} bytes arrived`)),
        opts.timeoutMs ?? 60_000,
      );
      if (total === 0) resolve();
      reader.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= total) {
          end = process.hrtime.bigint();
          resolve();
        }
      });
    });
    try {
      const [start] = await Promise.all([writer(pty.controllerPath, baudRate), done]);
      if (total === 0) end = start;
      const ms = Number(end - start) / 1e6;
      const seconds = Math.max(ms, 1e-3) / 1000;
      return {
        packets: what.packets,
        bytes: total,
        ms,
        bytesPerSecond: total / seconds,
        packetsPerSecond: what.packets / seconds,
      };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    if (reader.isOpen) await new Promise<void>((resolve) => reader.close(() => resolve()));
    await pty.close();
  }
}
