/**
 * SIGTERM and SIGINT from the moment the CLI starts. Loading the program takes most of a second on a
 * busy machine, and a signal before a command had installed its handler used to kill node outright:
 * exit 143, no summary. Now a signal that arrives early is remembered and handed to the command that
 * claims stopping (`run`, `post`, `plan`, `replay`, `worker`), which then stops at once and reports
 * `run_aborted` as for any other stop. A command that never claims it is ended by the signal as
 * before, a second later.
 */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type StopSignal = (typeof SIGNALS)[number];

const CLAIM_GRACE_MS = 1000;
let early: StopSignal | undefined;
let claimed = false;

function remember(signal: StopSignal): void {
  if (early) return;
  early = signal;
  setTimeout(() => {
    if (claimed) return;
    release();
    process.kill(process.pid, signal);
  }, CLAIM_GRACE_MS).unref();
}

const listeners = { SIGTERM: () => remember('SIGTERM'), SIGINT: () => remember('SIGINT') };

function release(): void {
  for (const signal of SIGNALS) process.off(signal, listeners[signal]);
}

/** Installed first thing by the executable, before the program is loaded. */
export function watchStopSignals(): void {
  for (const signal of SIGNALS) process.on(signal, listeners[signal]);
}

/**
 * For a command that handles every signal itself (serve drains on the first, stops on the second):
 * call it once its own listeners are on; the early one is handed over.
 */
export function claimStopSignals(handler: (signal: StopSignal) => void): void {
  claimed = true;
  release();
  if (early) handler(early);
}

/**
 * A command's stop: called once on the next SIGTERM or SIGINT, or at once if one came while the CLI
 * started. Later signals are ignored while the stop runs: a scheduler that signals twice, or Ctrl-C
 * reaching both a wrapper (npm) and the CLI, would otherwise kill node with no summary and the run
 * left `running`.
 */
export function onStopSignal(stop: () => void): void {
  claimed = true;
  let stopping = false;
  const stopOnce = () => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  // The command's listeners go on before the early ones come off: a signal's listener count never
  // drops to zero, since node then closes its watcher and a signal still pending in it is lost.
  for (const signal of SIGNALS) process.on(signal, stopOnce);
  release();
  if (early) stopOnce();
}
