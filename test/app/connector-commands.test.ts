/** Connectors' own commands on the CLI: registered from the registry as they declare themselves. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../app/program.js';
import { installedConnectors } from '../../app/registry.js';
import type { CommandContext, ConnectorCommand } from '../../engine/connector/command.js';
import type { ConnectorModule } from '../../engine/connector/types.js';
import type { ConnectorRegistry } from '../../engine/connector/registry.js';

const registry = (modules: Record<string, ConnectorModule>): ConnectorRegistry => ({ descriptorsDir: 'test/fixtures/connectors', modules });

function closeBooks(seen: CommandContext[] = []): ConnectorCommand<{ closed: string }> {
  return {
    name: 'close-books',
    description: 'close the books of a period',
    role: 'sink',
    options: [
      { name: 'period', type: 'value', required: true, description: 'the period' },
      { name: 'dry-run', type: 'flag', description: 'only say what would be closed' },
      { name: 'note', type: 'value', description: 'a memo' },
    ],
    emptyReport: () => ({ closed: '' }),
    async run(context) {
      seen.push(context);
      return { status: 'closed', report: { closed: String(context.values['period']) } };
    },
    format: (summary) => ({ lines: [`closed ${summary.closed}`], last: `${summary.status}, exit ${summary.exitCode}` }),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('connector commands on the CLI', () => {
  it('the installed DualEntry connector contributes post, with its documented options', () => {
    const post = buildProgram(installedConnectors).commands.find((c) => c.name() === 'post');
    expect(post?.options.map((o) => o.flags)).toEqual(['--period <period>', '--repost', '--state <path>', '--json']);
    expect(post?.options.find((o) => o.long === '--period')?.mandatory).toBe(true);
  });

  it('adds a command with its options as declared, --state and --json', () => {
    const cli = buildProgram(registry({ ledger: { name: 'ledger', commands: [closeBooks()] } })).commands.find((c) => c.name() === 'close-books');
    expect(cli?.description()).toBe('close the books of a period');
    expect(cli?.options.map((o) => [o.flags, o.mandatory])).toEqual([
      ['--period <period>', true],
      ['--dry-run', false],
      ['--note <note>', false],
      ['--state <path>', false],
      ['--json', false],
    ]);
  });

  it('refuses a command whose name is taken, by ledgersync or another connector', () => {
    expect(() => buildProgram(registry({ ledger: { name: 'ledger', commands: [{ ...closeBooks(), name: 'run' }] } }))).toThrow(
      "connector ledger declares a command 'run', but ledgersync already has one of that name",
    );
    const twice = registry({ ledger: { name: 'ledger', commands: [closeBooks()] }, billing: { name: 'billing', commands: [closeBooks()] } });
    expect(() => buildProgram(twice)).toThrow("connector billing declares a command 'close-books'");
  });

  it('refuses an option name that is not lower-case words joined by -', () => {
    const bad = { ...closeBooks(), options: [{ name: 'dryRun', type: 'flag' as const, description: 'x' }] };
    expect(() => buildProgram(registry({ ledger: { name: 'ledger', commands: [bad] } }))).toThrow(/option 'dryRun' of command 'close-books'/);
  });

  it('runs it on the pipeline with the option values by their declared names, and prints its JSON summary', async () => {
    const seen: CommandContext[] = [];
    const program = buildProgram(registry({ ledger: { name: 'ledger', commands: [closeBooks(seen)] } }));
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
    vi.stubEnv('BILLING_API_KEY', 'bk_test');
    vi.stubEnv('LEDGER_API_KEY', 'lk_test');
    vi.stubEnv('LEDGER_COMPANY', 'acme-co');
    const state = join(mkdtempSync(join(tmpdir(), 'ledgersync-command-')), 'state.db');
    await program.parseAsync(['close-books', 'test/fixtures/pipelines/valid/full.yaml', '--period', '2026-10', '--dry-run', '--state', state, '--json'], {
      from: 'user',
    });
    vi.unstubAllEnvs();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.values).toEqual({ period: '2026-10', 'dry-run': true, note: undefined });
    expect(seen[0]!.plan.name).toBe('full-example');
    expect(seen[0]!.connectorInput.connection.connector).toBe('ledger');
    expect(JSON.parse(out.join(''))).toEqual({ status: 'closed', exit_code: 0, pipeline: 'full-example', closed: '2026-10', run_id: seen[0]!.runId });
    expect(process.exitCode).toBe(0);
  });
});
