/**
 * Every sink through every fault class of the fault-injecting proxy, on its write requests: a
 * gateway's status after the vendor took the write (500, 502, 503, 504, 429), a 503 that never
 * reached it, resets before, after and in the middle of the answer, a truncated answer, an HTML page
 * with 200, a trickled answer and a bloated one. After the faulted run and a follow-up run, every
 * document a clean run writes must be in the fake exactly once, and both runs must exit 0 (a write
 * whose answer was lost is looked up and adopted, or sent again when it is not there).
 *
 * The matrix is printed as a table (fault × sink → lost / doubled / exit codes). `npm test` spoils the
 * 2nd and 3rd write request of each run; LEDGERSYNC_SOAK=1 spoils every third.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Fault } from '../support/fault-proxy.js';
import { sinks, type SinkScenario, type SinkUnderTest } from './fault-matrix.js';

const soak = Boolean(process.env['LEDGERSYNC_SOAK']);

const faults: { name: string; fault: Fault }[] = [
  { name: '500 after forwarding', fault: { kind: 'status', status: 500 } },
  { name: '502 after forwarding', fault: { kind: 'status', status: 502 } },
  { name: '503 after forwarding', fault: { kind: 'status', status: 503 } },
  { name: '504 after forwarding', fault: { kind: 'status', status: 504 } },
  { name: '429 after forwarding (a gateway’s)', fault: { kind: 'status', status: 429 } },
  { name: '503 before forwarding', fault: { kind: 'status', status: 503, forward: false } },
  { name: 'reset before forwarding', fault: { kind: 'reset-before' } },
  { name: 'reset after forwarding', fault: { kind: 'reset-after' } },
  { name: 'reset mid-body', fault: { kind: 'reset-mid-body' } },
  { name: 'truncated body', fault: { kind: 'truncate' } },
  { name: 'HTML page with 200', fault: { kind: 'html-200' } },
  { name: 'trickled body', fault: { kind: 'trickle', pieces: 12, delayMs: 25 } },
  { name: 'bloated body (8 MiB)', fault: { kind: 'bloat', bytes: 8 * 1024 * 1024 } },
];

interface Cell {
  sink: string;
  fault: string;
  injected: number;
  lost: number;
  doubled: number;
  exits: [number, number];
}

const cells: Cell[] = [];

/** Keys a clean run writes, per sink (the fakes are seeded, so every sandbox of a sink writes the same). */
const reference = new Map<string, string[]>();

async function cleanRun(sink: SinkUnderTest): Promise<string[]> {
  const known = reference.get(sink.name);
  if (known) return known;
  const scenario = await sink.start();
  try {
    const run = await scenario.run();
    if (run.exitCode !== 0) throw new Error(`${sink.name}: the clean run exited ${run.exitCode}: ${JSON.stringify(run.error ?? run.streams)}`);
    const keys = scenario.documents();
    reference.set(sink.name, keys);
    return keys;
  } finally {
    await scenario.close();
  }
}

function compare(expected: string[], held: string[]): { lost: number; doubled: number } {
  const count = new Map<string, number>();
  for (const key of held) count.set(key, (count.get(key) ?? 0) + 1);
  const wanted = new Set(expected);
  let doubled = 0;
  for (const [key, n] of count) doubled += wanted.has(key) ? n - 1 : n;
  const lost = [...wanted].filter((key) => !count.has(key)).length;
  return { lost, doubled };
}

async function faultedRuns(sink: SinkUnderTest, fault: Fault, name: string): Promise<Cell> {
  const expected = await cleanRun(sink);
  const scenario: SinkScenario = await sink.start();
  try {
    scenario.proxy.inject({ ...scenario.writes, ...(soak ? { every: 3, times: Infinity } : { skip: 1, times: 2 }), fault });
    const first = await scenario.run();
    const second = await scenario.run();
    return {
      sink: sink.name,
      fault: name,
      injected: scenario.proxy.injected,
      ...compare(expected, scenario.documents()),
      exits: [first.exitCode, second.exitCode],
    };
  } finally {
    await scenario.close();
  }
}

afterAll(() => {
  if (!cells.length) return;
  const names = sinks.map((s) => s.name);
  const lines = [
    `fault matrix (${soak ? 'every third write request spoiled' : '2nd and 3rd write request of each run spoiled'}): lost / doubled / exit codes of the run and the follow-up run`,
    `| fault | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...faults.map(
      (f) =>
        `| ${f.name} | ${names
          .map((n) => {
            const c = cells.find((x) => x.sink === n && x.fault === f.name);
            return c ? `${c.lost} / ${c.doubled} / ${c.exits.join(',')}` : '–';
          })
          .join(' | ')} |`,
    ),
  ];
  console.log(lines.join('\n'));
});

describe.each(sinks)('$name behind the fault proxy', (sink) => {
  it.each(faults)(
    '$name: every document once, both runs exit 0',
    async ({ fault, name }) => {
      const cell = await faultedRuns(sink, fault, name);
      cells.push(cell);
      expect(cell.injected, 'faults injected').toBeGreaterThan(0);
      expect(cell).toMatchObject({ lost: 0, doubled: 0, exits: [0, 0] });
    },
    120_000,
  );
});

describe.each(sinks)('$name: garbage answers to reads', (sink) => {
  it('a truncated answer to a read is retried like a 5xx: the run completes with every document once', async () => {
    const expected = await cleanRun(sink);
    const scenario = await sink.start();
    try {
      scenario.proxy.inject({ ...scenario.reads, skip: 1, times: 2, fault: { kind: 'truncate' } });
      const run = await scenario.run();
      expect(scenario.proxy.injected).toBe(2);
      expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
      expect(compare(expected, scenario.documents())).toEqual({ lost: 0, doubled: 0 });
    } finally {
      await scenario.close();
    }
  }, 120_000);

  it('garbage that persists stops the run with exit 3, naming the system and what came back, never exit 2', async () => {
    const scenario = await sink.start();
    try {
      scenario.proxy.inject({ ...scenario.reads, times: Infinity, fault: { kind: 'html-200' } });
      const run = await scenario.run();
      expect(run.exitCode).toBe(3);
      expect(run.error?.code).toBe('unreadable_response');
      expect(run.error?.message).toMatch(scenario.label);
      expect(run.error?.message).toMatch(/answered HTTP 200 with an HTML page \(text\/html; charset=utf-8, \d+ bytes, starting "<!DOCTYPE html>/);
      expect(run.error?.message).not.toMatch(/Unexpected token/);
    } finally {
      await scenario.close();
    }
  }, 120_000);
});
