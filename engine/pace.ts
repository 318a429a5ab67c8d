/**
 * Long synchronous stretches (mapping a page of records, compiling a pipeline's expressions) hold
 * the event loop, and with it signals (SIGTERM), timers (the lease heartbeat) and I/O. A pacer
 * gives the loop a turn every `everyMs` and then stops the work if the signal was aborted meanwhile.
 */
export function pacer(signal: AbortSignal | undefined, everyMs = 50): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last >= everyMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = Date.now();
    }
    if (signal?.aborted) throw signal.reason;
  };
}
