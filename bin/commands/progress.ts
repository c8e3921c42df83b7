// The progress bar of the long commands (import, dump, backup, restore): on stderr and only on a terminal, so
// piped output and logs stay clean. It starts with the first report, whose total may come late or change.
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  /** `total` undefined: not known yet (the bar then shows `done` as the total). */
  onProgress: (done: number, total?: number) => void;
  stop: () => void;
}

/** `label [bar] 42% | value/total unit` */
export function terminalProgress(label: string, unit: string): Progress {
  const bar = process.stderr.isTTY
    ? new SingleBar(
        { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit}`, stream: process.stderr },
        Presets.shades_classic,
      )
    : undefined;
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) bar.start(total ?? done, done);
      started = true;
      if (total !== undefined) bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}
