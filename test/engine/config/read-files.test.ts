/**
 * What is not a pipeline file is refused before it is read, at once and with one line naming it:
 * a FIFO (reading would wait for ever), a device, a directory, a symbolic link loop, an unreadable
 * or oversized file, bytes that are not text. UTF-8 with a BOM and UTF-16 with a BOM are read.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline, MAX_PIPELINE_BYTES } from '../../../engine/config/load.js';

const valid = readFileSync('test/fixtures/pipelines/valid/full.yaml', 'utf8');
const connectorsDir = 'test/fixtures/connectors';
const env = { BILLING_API_KEY: 'bk_1', LEDGER_API_KEY: 'lk_1', LEDGER_COMPANY: 'c1' };

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'ledgersync-read-'));
}

async function problemsOf(file: string): Promise<Array<[number, number, string, string]>> {
  const started = performance.now();
  const { problems } = await loadPipeline(file, { mode: 'validate', env, connectorsDir });
  expect(performance.now() - started).toBeLessThan(5000);
  return problems.map((p) => [p.line, p.column, p.code, p.message]);
}

describe('files that are not pipeline files', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(dir(), 'pipeline.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(await problemsOf(fifo)).toEqual([[1, 1, 'file_not_regular', `cannot read ${fifo}: it is a named pipe (FIFO)`]]);
  });

  it('refuses a device', async () => {
    expect(await problemsOf('/dev/zero')).toEqual([[1, 1, 'file_not_regular', 'cannot read /dev/zero: it is a device']]);
  });

  it('refuses a directory, suggesting a glob', async () => {
    const folder = dir();
    expect(await problemsOf(folder)).toEqual([
      [1, 1, 'file_not_regular', `cannot read ${folder}: it is a directory (to check every pipeline in it, give a glob such as "dir/**/*.yaml")`],
    ]);
  });

  it('names a symbolic link loop and a dangling link', async () => {
    const root = dir();
    symlinkSync(join(root, 'b.yaml'), join(root, 'a.yaml'));
    symlinkSync(join(root, 'a.yaml'), join(root, 'b.yaml'));
    symlinkSync(join(root, 'nowhere.yaml'), join(root, 'dangling.yaml'));
    expect(await problemsOf(join(root, 'a.yaml'))).toEqual([
      [1, 1, 'file_unreadable', `cannot read ${join(root, 'a.yaml')}: a symbolic link loop (a link that points back to itself)`],
    ]);
    expect(await problemsOf(join(root, 'dangling.yaml'))).toEqual([[1, 1, 'file_unreadable', `cannot read ${join(root, 'dangling.yaml')}: no such file`]]);
  });

  it('follows a symbolic link to a pipeline', async () => {
    const root = dir();
    writeFileSync(join(root, 'real.yaml'), valid);
    symlinkSync(join(root, 'real.yaml'), join(root, 'link.yaml'));
    expect(await problemsOf(join(root, 'link.yaml'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('names a file it may not read', async () => {
    const file = join(dir(), 'p.yaml');
    writeFileSync(file, valid);
    chmodSync(file, 0o000);
    expect(await problemsOf(file)).toEqual([[1, 1, 'file_unreadable', `cannot read ${file}: permission denied`]]);
  });

  it('names a path through a file', async () => {
    const file = join(dir(), 'p.yaml');
    writeFileSync(file, valid);
    expect(await problemsOf(join(file, 'x.yaml'))).toEqual([
      [1, 1, 'file_unreadable', `cannot read ${join(file, 'x.yaml')}: a part of the path is not a directory`],
    ]);
  });

  it('refuses a file larger than a pipeline may be, pointing to lookup files', async () => {
    const file = join(dir(), 'big.yaml');
    writeFileSync(file, `${valid}\n# ${'x'.repeat(MAX_PIPELINE_BYTES)}\n`);
    const [problem] = await problemsOf(file);
    expect(problem?.slice(0, 3)).toEqual([1, 1, 'file_too_large']);
    expect(problem?.[3]).toMatch(
      /it is 8\.\d MiB, more than the 8\.0 MiB a configuration file may have; keep big mapping tables in their own file \(lookups\.<name>\.file/,
    );
  });
});

describe('encodings', () => {
  it('reads UTF-8 with a byte-order mark, columns counted without it', async () => {
    const file = join(dir(), 'p.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid.replace('timezone: America/New_York', 'timezone: Mars/Base'))]));
    expect((await problemsOf(file)).map((p) => p.slice(0, 3))).toEqual([[5, 11, 'invalid_timezone']]);
  });

  it('reads UTF-16 with a byte-order mark, little- and big-endian', async () => {
    const root = dir();
    const text = valid.replace('Everything the format offers', 'Everything the format offers — ünïcødé');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    writeFileSync(join(root, 'le.yaml'), le);
    writeFileSync(join(root, 'be.yaml'), be);
    for (const name of ['le.yaml', 'be.yaml']) {
      const { plan, problems } = await loadPipeline(join(root, name), { mode: 'run', env, connectorsDir });
      expect(problems).toEqual([]);
      expect(plan?.description).toBe('Everything the format offers — ünïcødé, for the loader tests.');
    }
  });

  it('refuses UTF-16 without a byte-order mark, saying what it probably is', async () => {
    const file = join(dir(), 'p.yaml');
    writeFileSync(file, Buffer.from(valid, 'utf16le'));
    expect(await problemsOf(file)).toEqual([
      [1, 2, 'file_encoding', `${file} contains a NUL character: it is UTF-16 without a byte-order mark, or not a text file; save it as UTF-8`],
    ]);
  });

  it('says UTF-16 without a byte-order mark too when the file holds characters beyond ASCII (an arrow in a comment)', async () => {
    const file = join(dir(), 'p.yaml');
    writeFileSync(file, Buffer.from(`# Chargebee → JSONL\n${valid}`, 'utf16le'));
    expect(await problemsOf(file)).toEqual([
      [1, 2, 'file_encoding', `${file} contains a NUL character: it is UTF-16 without a byte-order mark, or not a text file; save it as UTF-8`],
    ]);
  });

  it('refuses bytes that are not UTF-8, at their line and column', async () => {
    const file = join(dir(), 'p.yaml');
    const lines = valid.split('\n');
    lines[3] = 'description: Caf\xe9 in Latin-1';
    writeFileSync(file, Buffer.from(lines.join('\n'), 'latin1'));
    expect(await problemsOf(file)).toEqual([[4, 17, 'file_encoding', `${file} is not valid UTF-8 (byte 0xe9); save it as UTF-8`]]);
  });

  it('counts columns in characters before a bad byte', async () => {
    const file = join(dir(), 'p.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('name: "ünï', 'utf8'), Buffer.from([0xff]), Buffer.from('"\n')]));
    expect((await problemsOf(file)).map((p) => p.slice(0, 3))).toEqual([[1, 11, 'file_encoding']]);
  });

  it('says a file holding nothing holds no pipeline', async () => {
    const root = dir();
    writeFileSync(join(root, 'empty.yaml'), '');
    writeFileSync(join(root, 'comments.yaml'), '# nothing yet\n');
    for (const name of ['empty.yaml', 'comments.yaml']) {
      expect(await problemsOf(join(root, name))).toEqual([
        [
          1,
          1,
          'schema_type',
          'the file holds no pipeline (it is empty, or only comments): a pipeline is a YAML mapping with version, name, source, sink and streams',
        ],
      ]);
    }
  });
});
