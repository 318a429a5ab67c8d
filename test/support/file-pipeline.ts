/** A small pipeline with no vendor: a JSON Lines file of `records` rows in, a JSON Lines file out. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/<name>.yaml` and its input `<dir>/<name>.in.jsonl`; returns the pipeline's path. Output goes to `<dir>/out/<name>/`. */
export function writeFilePipeline(dir: string, name: string, records: number): string {
  mkdirSync(dir, { recursive: true });
  const rows = Array.from({ length: records }, (_, i) => JSON.stringify({ id: `r${i}`, amount: `${i}.25`, memo: `row ${i} of ${name}` })).join('\n');
  writeFileSync(join(dir, `${name}.in.jsonl`), rows + '\n');
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `version: 1
name: ${name}
timezone: UTC
source:
  connector: file
  files:
    rows:
      path: ${name}.in.jsonl
      format: jsonl
      id_columns: [id]
      columns:
        id: { column: id, required: true }
        amount: { column: amount, type: decimal }
        memo: { column: memo }
sink:
  connector: jsonl
  dir: out/${name}
streams:
  - name: rows
    endpoint: rows
    target: { object: rows, key: id }
    mapping:
      expression: |
        { "id": id, "amount": amount, "memo": memo }
`,
  );
  return path;
}
