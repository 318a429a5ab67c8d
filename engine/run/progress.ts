/** Run progress for people: one rewritten status line on a TTY, plain lines otherwise. */
import type { Logger } from '../log.js';
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
  /** Removes the TTY status line, if one is shown, so a log line starts on a clean line; the next page redraws it. */
  clearLine(): void;
}

export const silentProgress: ProgressReporter = { streamStarted() {}, page() {}, streamFinished() {}, message() {}, clearLine() {} };

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
  let lineShown = false;
  const clear = () => {
    if (lineShown) stream.write('\r\x1b[2K');
    lineShown = false;
  };
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
        lineShown = true;
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
    clearLine: clear,
  };
}

/**
 * Progress as log lines, for JSON logs: one line when a stream starts and one when it ends with its
 * counts, so a scheduler's log shows how far a run got; pages go to debug.
 */
export function logProgress(log: Logger): ProgressReporter {
  return {
    streamStarted(name) {
      log.info(`${name}: started`, { stream: name });
    },
    page(name, page, counts) {
      log.debug(`${name}: page ${page}, ${describe(counts)}`, { stream: name, page, ...counts });
    },
    streamFinished(name, counts, seconds) {
      log.info(`${name}: done in ${seconds.toFixed(1)} s, ${describe(counts)}`, { stream: name, seconds: Number(seconds.toFixed(3)), ...counts });
    },
    message(text) {
      log.info(text);
    },
    clearLine() {},
  };
}
