/**
 * The broken-config corpus: every kind of broken pipeline file `validate` must answer with a
 * located one-line problem, quickly. The files of `test/fixtures/pipelines/broken/` (their second
 * line says what they must produce: `# expect: code at line:col; …`), plus the kinds that cannot
 * be committed as files (a FIFO, a symbolic link loop, a device, a directory, wrong encodings,
 * files too big or too deep to keep in the repository), made in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PIPELINE_BYTES } from '../../../engine/config/load.js';

export const CORPUS_DIR = 'test/fixtures/pipelines/broken';

export interface BrokenKind {
  name: string;
  /** Path as given to `validate`. */
  path: string;
  /** `code at [file:]line:col`, in the order reported; absent for the older fixtures checked in broken-pipelines.test.ts. */
  expect?: string[];
  /** `run` for a file broken only where it runs (an unset variable is fine in CI). */
  mode: 'run' | 'validate';
}

const valid = (name: string) => `version: 1
name: ${name}
source:
  connector: chargebee
  site: \${CHARGEBEE_SITE}
  api_key: \${CHARGEBEE_API_KEY}
sink:
  connector: jsonl
  dir: out
streams:
  - name: customers
    endpoint: customers
    target: { object: customers, key: id }
    mapping:
      expression: '{ "id": id }'
`;

export function committedKinds(): BrokenKind[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const path = `${CORPUS_DIR}/${file}`;
      const expect = /^# expect: (.*)$/m.exec(readFileSync(path, 'utf8'))?.[1];
      return {
        name: file.replace(/\.yaml$/, ''),
        path,
        mode: file === 'unset-env.yaml' ? 'run' : 'validate',
        ...(expect ? { expect: expect.split('; ') } : {}),
      };
    });
}

/** The kinds made on the spot, in a temporary folder removed by `cleanup`. */
export function generatedKinds(): { kinds: BrokenKind[]; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-corpus-'));
  const kinds: BrokenKind[] = [];
  const add = (name: string, expect: string[], make: (path: string) => void) => {
    const path = join(dir, `${name}.yaml`);
    make(path);
    kinds.push({ name, path, expect, mode: 'validate' });
  };
  add('fifo', ['file_not_regular at 1:1'], (p) => execFileSync('mkfifo', [p]));
  add('directory', ['file_not_regular at 1:1'], (p) => mkdirSync(p));
  add('symlink-loop', ['file_unreadable at 1:1'], (p) => symlinkSync(p, p));
  add('dangling-symlink', ['file_unreadable at 1:1'], (p) => symlinkSync(join(dir, 'nowhere.yaml'), p));
  kinds.push({ name: 'device', path: '/dev/null', expect: ['file_not_regular at 1:1'], mode: 'validate' });
  add('utf16-without-bom', ['file_encoding at 1:2'], (p) => writeFileSync(p, Buffer.from(valid('utf16'), 'utf16le')));
  add('utf32', ['file_encoding at 1:1'], (p) => writeFileSync(p, Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('v\0\0\0')])));
  add('latin1', ['file_encoding at 4:6'], (p) => writeFileSync(p, Buffer.from(valid('latin1').replace('source:', 'source:\n# Caf\xe9'), 'latin1')));
  add('binary', ['file_encoding at 1:2'], (p) => writeFileSync(p, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03])));
  add('too-large', ['file_too_large at 1:1'], (p) => writeFileSync(p, `${valid('big')}# ${'x'.repeat(MAX_PIPELINE_BYTES)}\n`));
  add('deep-block', ['yaml_too_deep at 117:104'], (p) =>
    writeFileSync(p, `${valid('deep')}options:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 2)}a:`).join('\n')} 1\n`),
  );
  add('jsonata-too-long', ['jsonata_too_long at 15:50020'], (p) =>
    writeFileSync(p, valid('long').replace(`'{ "id": id }'`, `'{ "id": "${'x'.repeat(60_000)}" }'`)),
  );
  add('jsonata-chain', ['jsonata_too_deep at 15:10915'], (p) =>
    writeFileSync(p, valid('chain').replace(`'{ "id": id }'`, `'${Array.from({ length: 7000 }, (_, i) => `a${i}`).join('.')}'`)),
  );
  return { kinds, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a problem message must never look like: a stack trace, a bare engine error. */
export const STACK_TRACE = /\n\s+at |Maximum call stack|RangeError|TypeError|ReferenceError|SyntaxError:|Unexpected token '<'/;
