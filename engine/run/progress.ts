/** Run progress for people: one rewritten status line on a TTY, plain lines otherwise. */
export interface StreamCounts {
  read: number;
  written: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
}

export const emptyCounts = (): StreamCounts => ({ read: 0, written: 0, created: 0, updated: 0, skipped: 0, failed: 0 });

export interface ProgressReporter {
  streamStarted(stream: string): void;
  page(stream: string, page: number, counts: StreamCounts): void;
  streamFinished(stream: string, counts: StreamCounts, seconds: number): void;
  message(text: string): void;
}

export const silentProgress: ProgressReporter = { streamStarted() {}, page() {}, streamFinished() {}, message() {} };

function rate(counts: StreamCounts, seconds: number): string {
  return seconds > 0 ? `${Math.round(counts.read / seconds)} rec/s` : '';
}

function describe(counts: StreamCounts): string {
  return `${counts.read} read, ${counts.created} created, ${counts.updated} updated, ${counts.skipped} skipped, ${counts.failed} failed`;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = Boolean(stream.isTTY);
  const started = new Map<string, number>();
  let lastPlain = 0;
  const clear = () => tty && stream.write('\r\x1b[2K');
  return {
    streamStarted(name) {
      started.set(name, Date.now());
      if (!tty) stream.write(`${name}: started\n`);
    },
    page(name, page, counts) {
      const seconds = (Date.now() - (started.get(name) ?? Date.now())) / 1000;
      if (tty) {
        clear();
        stream.write(`${name}: page ${page}, ${describe(counts)} ${rate(counts, seconds)}`);
      } else if (Date.now() - lastPlain > 2000) {
        lastPlain = Date.now();
        stream.write(`${name}: page ${page}, ${describe(counts)}\n`);
      }
    },
    streamFinished(name, counts, seconds) {
      clear();
      stream.write(`${name}: done in ${seconds.toFixed(1)} s, ${describe(counts)} ${rate(counts, seconds)}\n`);
    },
    message(text) {
      clear();
      stream.write(text + '\n');
    },
  };
}
