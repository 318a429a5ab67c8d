import { describe, expect, it } from 'vitest';
import { commandOutput, requestedLogFormat } from '../../app/logging.js';
import { emptyCounts } from '../../engine/run/progress.js';

function fakeStderr(isTTY: boolean) {
  let text = '';
  const stream = {
    isTTY,
    write(chunk: string) {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('text logs on a TTY', () => {
  it('clear the progress line before a log line, so a warning never runs into it', () => {
    const err = fakeStderr(true);
    const { log, progress } = commandOutput({ format: 'text', command: 'run', progress: true, stream: err.stream, env: {} });
    progress.streamStarted('invoices');
    progress.page('invoices', 3, { ...emptyCounts(), read: 300 });
    log.warn('2 write(s) of an interrupted run were never confirmed');
    log.info('waiting 38 s: QuickBooks Online allows 40 batch requests a minute');
    const clearLine = '\r\u001b[2K';
    const [statusLine, rest] = err.text().split(clearLine);
    expect(statusLine).toMatch(/^invoices: page 3, 300 read, 0 created, 0 updated, 0 skipped, 0 failed/);
    expect(rest).toBe(
      'WARN [ledgersync:run] 2 write(s) of an interrupted run were never confirmed\n[ledgersync:run] waiting 38 s: QuickBooks Online allows 40 batch requests a minute\n',
    );
  });

  it('under --json keep to errors', () => {
    const err = fakeStderr(false);
    const { log, progress } = commandOutput({ format: 'text', command: 'run', quiet: true, progress: true, stream: err.stream, env: {} });
    progress.streamStarted('invoices');
    log.info('waiting 38 s');
    log.error('it broke');
    expect(err.text()).toBe('ERROR [ledgersync:run] it broke\n');
  });
});

describe('JSON logs', () => {
  it('are one object a line, with progress as lines, even under --json', () => {
    const err = fakeStderr(true);
    const { log, progress, notes } = commandOutput({ format: 'json', command: 'run', quiet: true, progress: true, stream: err.stream, env: {} });
    progress.streamStarted('invoices');
    progress.page('invoices', 1, emptyCounts());
    log.child('quickbooks-online').info('waiting 38 s: QuickBooks Online allows 40 batch requests a minute', { wait_ms: 38_000 });
    progress.streamFinished('invoices', { ...emptyCounts(), read: 5, created: 5, written: 5 }, 1.25);
    notes.write('warning: LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS must be a positive number\nsecond line\n');
    const lines = err
      .text()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l['level'], l['scope'], l['message']])).toEqual([
      ['info', 'ledgersync:run', 'invoices: started'],
      ['info', 'ledgersync:run:quickbooks-online', 'waiting 38 s: QuickBooks Online allows 40 batch requests a minute'],
      ['info', 'ledgersync:run', 'invoices: done in 1.3 s, 5 read, 5 created, 0 updated, 0 skipped, 0 failed'],
      ['warn', 'ledgersync:run', 'LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS must be a positive number'],
      ['info', 'ledgersync:run', 'second line'],
    ]);
    expect(lines[1]!['wait_ms']).toBe(38_000);
    expect(lines[2]).toMatchObject({ stream: 'invoices', read: 5, created: 5, seconds: 1.25 });
    for (const line of lines) expect(new Date(String(line['time'])).toISOString()).toBe(line['time']);
  });
});

describe('requestedLogFormat', () => {
  it('reads the flag in either spelling, the last one winning, else the environment', () => {
    expect(requestedLogFormat(['node', 'cli', 'run', 'p.yaml', '--log-format', 'json'], {})).toBe('json');
    expect(requestedLogFormat(['node', 'cli', '--log-format=json', 'run'], {})).toBe('json');
    expect(requestedLogFormat(['node', 'cli', '--log-format=json', '--log-format', 'text'], {})).toBe('text');
    expect(requestedLogFormat(['node', 'cli', 'run'], { LEDGERSYNC_LOG_FORMAT: 'json' })).toBe('json');
    expect(requestedLogFormat(['node', 'cli', 'run'], {})).toBe('text');
  });
});
