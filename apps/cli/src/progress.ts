import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr (stdout stays clean for results); silent when stderr is not a terminal. */
export function progressBar(label: string): { update(done: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let lastShown = -1;
    return {
      update(done, total) {
        const pct = total ? Math.floor((100 * done) / total) : 100;
        if (pct >= lastShown + 25 || done === total) {
          lastShown = pct;
          process.stderr.write(`${label}: ${done}/${total}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta}s`, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
