/**
 * `ledgersync validate` over broken pipeline files: each mistake reported at the exact line and
 * column of the file, with a message a person can act on.
 */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../engine/config/load.js';
import { installedConnectors } from '../../../app/registry.js';

const dir = 'test/fixtures/pipelines/broken';

interface Expected {
  line: number;
  column: number;
  code: string;
  message: string;
}

const cases: Array<{ file: string; mode?: 'run' | 'validate'; problems: Expected[] }> = [
  {
    file: 'bad-yaml.yaml',
    problems: [
      { line: 14, column: 5, code: 'yaml_syntax', message: 'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }' },
    ],
  },
  {
    // yaml reports each at the end of the line above, twice; one problem at the line to fix, in words.
    file: 'yaml-over-indented.yaml',
    problems: [
      {
        line: 11,
        column: 4,
        code: 'yaml_indentation',
        message:
          "YAML: 'dir' starts at column 4, the key on the line above at column 3: keys of one mapping start in the same column (as it is, YAML reads this line as part of the value above)",
      },
      {
        line: 14,
        column: 6,
        code: 'yaml_indentation',
        message:
          "YAML: 'endpoint' starts at column 6, the key on the line above at column 5: keys of one mapping start in the same column (as it is, YAML reads this line as part of the value above)",
      },
    ],
  },
  {
    file: 'unknown-property.yaml',
    // Not also "streams[0].endpoint is required": the suggestion says it.
    problems: [{ line: 12, column: 5, code: 'schema_unknown_property', message: "unknown property 'endpont' in stream 'invoices' (did you mean 'endpoint'?)" }],
  },
  {
    file: 'wrong-type.yaml',
    problems: [{ line: 14, column: 17, code: 'schema_type', message: 'streams[0].batch_size must be an integer, not "lots"' }],
  },
  {
    file: 'missing-required.yaml',
    problems: [{ line: 18, column: 5, code: 'schema_required', message: 'streams[1].target.object is required' }],
  },
  {
    file: 'unknown-connector.yaml',
    problems: [
      {
        line: 4,
        column: 14,
        code: 'unknown_connector',
        message:
          "unknown connector 'chargebe' (did you mean 'chargebee'?); the connectors are: acumatica, chargebee, dualentry, file, jsonl, quickbooks-online, sage-intacct, sql",
      },
    ],
  },
  {
    file: 'unknown-endpoint.yaml',
    problems: [
      { line: 12, column: 15, code: 'unknown_endpoint', message: "unknown endpoint 'invoice' for source connector 'chargebee' (did you mean 'invoices'?)" },
    ],
  },
  {
    file: 'unknown-lookup.yaml',
    problems: [
      { line: 21, column: 26, code: 'unknown_lookup', message: "unknown lookup table 'gl_acounts' (not under lookups:) (did you mean 'gl_accounts'?)" },
    ],
  },
  {
    file: 'unknown-option.yaml',
    problems: [
      {
        line: 19,
        column: 23,
        code: 'unknown_option',
        message: "unknown option 'use_customer_id_as_po_number' (not under options:) (did you mean 'use_customer_id_as_po'?)",
      },
    ],
  },
  {
    file: 'ref-later-stream.yaml',
    problems: [
      {
        line: 18,
        column: 28,
        code: 'ref_later_stream',
        message: "$ref() names stream 'customers', which runs after this one: move 'customers' before 'invoices' in streams:",
      },
    ],
  },
  {
    file: 'unknown-function.yaml',
    problems: [{ line: 16, column: 16, code: 'unknown_function', message: "unknown function $mony (did you mean '$money'?)" }],
  },
  {
    // `filter: $not(deleted))`: the second `)`.
    file: 'jsonata-plain.yaml',
    problems: [{ line: 13, column: 26, code: 'jsonata_syntax', message: 'JSONata syntax error S0201: Syntax error: ")"' }],
  },
  {
    // Escapes (\" and \u00e9) before the error make the file column differ from the value's index.
    file: 'jsonata-quoted.yaml',
    problems: [{ line: 15, column: 68, code: 'jsonata_syntax', message: 'JSONata syntax error S0202: Expected "}", got "]"' }],
  },
  {
    // Fourth line of a `|` block: the `;`.
    file: 'jsonata-block.yaml',
    problems: [{ line: 19, column: 50, code: 'jsonata_syntax', message: 'JSONata syntax error S0202: Expected "}", got ";"' }],
  },
  {
    // Second line of a single-quoted scalar folded over two lines, after doubled quotes: the `]`.
    file: 'jsonata-single-quoted.yaml',
    problems: [{ line: 17, column: 29, code: 'jsonata_syntax', message: 'JSONata syntax error S0201: Syntax error: "]"' }],
  },
  {
    // Third line of a folded `>-` block: the second `>` of `>>`.
    file: 'jsonata-folded.yaml',
    problems: [{ line: 16, column: 31, code: 'jsonata_syntax', message: 'JSONata syntax error S0211: The symbol ">" cannot be used as a unary operator' }],
  },
  {
    file: 'literal-secret.yaml',
    problems: [
      {
        line: 6,
        column: 12,
        code: 'secret_literal',
        message: 'api_key must come from an environment variable, e.g. ${CHARGEBEE_API_KEY}; never write a secret in the file',
      },
    ],
  },
  {
    file: 'unset-env.yaml',
    mode: 'run',
    problems: [
      { line: 5, column: 9, code: 'env_unset', message: 'environment variable CHARGEBEE_SITE is not set: export it or give a default ${CHARGEBEE_SITE:-…}' },
      {
        line: 6,
        column: 12,
        code: 'env_unset',
        // A credential gets no advice to write a default into the file.
        message: 'environment variable CHARGEBEE_API_KEY is not set: export it',
      },
      // Inside a longer string: the column of its `${`.
      { line: 9, column: 12, code: 'env_unset', message: 'environment variable RUN_FOLDER is not set: export it or give a default ${RUN_FOLDER:-…}' },
    ],
  },
];

describe('broken pipelines', () => {
  for (const c of cases) {
    it(`${c.file}: ${c.problems.map((p) => `${p.line}:${p.column}`).join(', ')}`, async () => {
      const result = await loadPipeline(`${dir}/${c.file}`, { mode: c.mode ?? 'validate', env: {}, connectorsDir: installedConnectors.descriptorsDir });
      expect(result.plan).toBeUndefined();
      expect(result.problems.map(({ line, column, code, message }) => ({ line, column, code, message }))).toEqual(c.problems);
      for (const p of result.problems) {
        expect(p.file).toBe(`${dir}/${c.file}`);
        expect(p.severity).toBe('error');
      }
    });
  }

  it('an unset variable set under a name one typo away says so', async () => {
    const result = await loadPipeline(`${dir}/unset-env.yaml`, {
      mode: 'run',
      env: { CHARGEBEE_SITE: 'acme', CHARGEBEE_APIKEY: 'set under the wrong name', RUN_FOLDER: '/tmp' },
      connectorsDir: installedConnectors.descriptorsDir,
    });
    expect(result.problems.map((p) => p.message)).toEqual(["environment variable CHARGEBEE_API_KEY is not set (did you mean 'CHARGEBEE_APIKEY'?): export it"]);
  });

  it("an unset variable is not 'meant' as another variable of the same system (CHARGEBEE_SITE for CHARGEBEE_API_KEY)", async () => {
    const result = await loadPipeline(`${dir}/unset-env.yaml`, {
      mode: 'run',
      env: { CHARGEBEE_SITE: 'acme', RUN_FOLDER: '/tmp' },
      connectorsDir: installedConnectors.descriptorsDir,
    });
    expect(result.problems.map((p) => p.message)).toEqual(['environment variable CHARGEBEE_API_KEY is not set: export it']);
  });

  it('an unset variable is no error in validate mode (CI has no secrets)', async () => {
    const result = await loadPipeline(`${dir}/unset-env.yaml`, { mode: 'validate', env: {}, connectorsDir: installedConnectors.descriptorsDir });
    expect(result.problems).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('reports every problem of a file in one pass', async () => {
    const result = await loadPipeline(`${dir}/many-problems.yaml`, { mode: 'validate', env: {}, connectorsDir: installedConnectors.descriptorsDir });
    expect(result.problems.map((p) => `${p.line}:${p.column} ${p.code}`)).toEqual([
      '4:11 invalid_timezone',
      '8:12 secret_literal',
      '12:3 schema_unknown_property',
      '20:23 schema',
      '23:26 unknown_lookup',
      '24:24 ref_unknown_stream',
      '25:11 duplicate_stream',
      '26:15 unknown_endpoint',
      '27:5 schema_required',
      '31:21 jsonata_syntax',
    ]);
    const messages = result.problems.map((p) => p.message);
    expect(messages).toContain("timezone 'Europe/Pariss' is not an IANA timezone such as UTC, Europe/Paris or America/New_York (did you mean 'Europe/Paris'?)");
    expect(messages).toContain("unknown property 'compress' in sink (jsonl connection)");
    expect(messages).toContain('streams[0].lookback_seconds must be >= 0, not -5');
    expect(messages).toContain("duplicate stream name 'invoices' (also streams[0])");
    expect(messages).toContain("$ref() names unknown stream 'customers'");
  });
});
