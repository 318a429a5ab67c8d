/**
 * The text of a new customer's pipeline and cases file, made from an example's. Edits are made
 * line by line on the example's text, so its comments, block scalars and layout stay as written:
 * the example is the documentation the consultant keeps reading.
 */
import { readOwnSchema } from '../engine/config/ajv.js';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';

export interface ScaffoldNames {
  customer: string;
  /** The example it is made from, as a path inside the package (`pipelines/examples/x.yaml`). */
  example: string;
  /** Where the new files go, relative to the repository root, with `/`. */
  pipelineFile: string;
  casesFile: string;
  /** `$schema` references, relative to the new files' folder. */
  pipelineSchema: string;
  casesSchema: string;
  /** ledgersync's version. */
  version: string;
}

interface Slot {
  before: string[];
  text: string;
  after: string[];
}

/** A YAML document as lines that edits annotate, and the parsed tree that says where things are. */
class LineEditor {
  readonly slots: Slot[];
  readonly doc;
  private readonly counter = new LineCounter();

  constructor(text: string) {
    this.slots = text.split('\n').map((line) => ({ before: [], text: line, after: [] }));
    this.doc = parseDocument(text, { lineCounter: this.counter });
    if (this.doc.errors.length) throw new Error(`the example is not valid YAML: ${this.doc.errors[0]?.message}`);
  }

  /** 0-based line of an offset. */
  line(offset: number): number {
    return this.counter.linePos(offset).line - 1;
  }

  /** 0-based lines a pair spans, from its key to the end of its value. */
  span(pair: Pair): { from: number; to: number; indent: string } {
    const key = pair.key as Node;
    const value = pair.value as Node | null;
    const from = this.line(key.range![0]);
    const end = value?.range ? value.range[1] : key.range![1];
    const text = this.slots[from]!.text;
    return { from, to: Math.max(from, this.line(end - 1)), indent: text.slice(0, text.length - text.trimStart().length) };
  }

  /** Turns lines into comments, keeping their indentation under the `#`. */
  commentOut(from: number, to: number, indent: string): void {
    for (let i = from; i <= to; i++) {
      const slot = this.slots[i]!;
      slot.text = slot.text.trim() === '' ? `${indent}#` : `${indent}# ${slot.text.slice(indent.length)}`;
    }
  }

  toString(): string {
    return this.slots.flatMap((s) => [...s.before, s.text, ...s.after]).join('\n');
  }
}

function pairOf(map: unknown, key: string): Pair | undefined {
  if (!isMap(map)) return undefined;
  return (map as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === key);
}

/** A plain YAML scalar when it reads back as the same string, else a quoted one. */
function yamlString(value: string): string {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(value) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value) ? value : JSON.stringify(value);
}

export function scaffoldPipeline(exampleText: string, names: ScaffoldNames): string {
  const editor = new LineEditor(exampleText);
  const { customer } = names;
  const todo = `TODO(${customer})`;
  const root = editor.doc.contents;

  // Header: the schema line for the new place, what this file is, and the example's own notes
  // with the example's path replaced by the new file's.
  const first = editor.slots[0]!;
  const header = [
    `# yaml-language-server: $schema=${names.pipelineSchema}`,
    `#`,
    `# ${customer}: made by \`ledgersync init\` (ledgersync ${names.version}) from ${names.example}.`,
    `# Every ${todo} below marks something to set for ${customer} before the first run.`,
  ];
  if (first.text.startsWith('# yaml-language-server:')) {
    first.text = header[0]!;
    first.after.push(...header.slice(1));
  } else first.before.push(...header, '#');
  for (const slot of editor.slots) {
    if (slot.text.trimStart().startsWith('#')) slot.text = slot.text.split(names.example).join(names.pipelineFile);
  }

  const name = pairOf(root, 'name');
  if (name && isScalar(name.value) && name.value.range) {
    const line = editor.line(name.value.range[0]);
    const slot = editor.slots[line]!;
    const start = name.value.range[0] - lineStart(exampleText, line);
    const end = name.value.range[1] - lineStart(exampleText, line);
    slot.text = slot.text.slice(0, start) + yamlString(customer) + slot.text.slice(end);
    slot.before.push(
      `# ${todo}: \`name\` scopes everything ledgersync keeps for this pipeline in its state file:`,
      `# cursors, the ledger of what was written (which is what prevents double posting), runs and`,
      `# dead letters. Keep one state file per customer deployment (--state or LEDGERSYNC_STATE; the`,
      `# default is .ledgersync/state.db in the working directory), back it up, and never rename the`,
      `# pipeline once it has run: a new name starts with an empty ledger and re-reads everything.`,
    );
  }

  const startDate = pairOf(root, 'start_date');
  if (startDate) editor.slots[editor.span(startDate).from]!.before.push(`# ${todo}: the go-live date: nothing older is read.`);

  const options = pairOf(root, 'options');
  if (options) {
    editor.slots[editor.span(options).from]!.before.push(`# ${todo}: review every option for ${customer}: the values below are the example's.`);
  }

  // A block a connector adds (revenue_recognition:…) holds settings as customer-specific as options.
  const core = new Set(Object.keys((readOwnSchema('pipeline-base')['properties'] ?? {}) as object));
  for (const pair of isMap(root) ? root.items : []) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key && !core.has(key))
      editor.slots[editor.span(pair).from]!.before.push(`# ${todo}: review every setting of ${key} for ${customer}: the values below are the example's.`);
  }

  const lookups = pairOf(root, 'lookups');
  if (lookups && isMap(lookups.value)) {
    for (const table of lookups.value.items) {
      emptyLookupTable(editor, table, customer);
    }
  }
  return editor.toString();
}

/**
 * A lookup table of the example holds the example's ids (accounts, items, tax codes): kept as
 * comments to show the format, but emptied, so that until the consultant fills it a record that
 * needs it is dead-lettered naming the missing key, never posted to an example account. A
 * default that is empty ("none") is kept: it cannot post anything to a wrong place.
 */
function emptyLookupTable(editor: LineEditor, table: Pair, customer: string): void {
  const values = pairOf(table.value, 'values');
  const fallback = pairOf(table.value, 'default');
  const filled = values && isMap(values.value) && values.value.items.length > 0;
  const emptyDefault = fallback && isScalar(fallback.value) && (fallback.value.value === '' || fallback.value.value === null);
  const spans = [...(filled ? [editor.span(values)] : []), ...(fallback && !emptyDefault ? [editor.span(fallback)] : [])].sort((a, b) => a.from - b.from);
  const first = spans[0] ?? (values ? editor.span(values) : undefined);
  if (!first) return;
  const kept = spans.length ? ' (kept below as comments)' : '';
  const todo = emptyDefault
    ? [`TODO(${customer}): fill in. Keys not listed get the empty default, which means none; the`, `example's entries${kept} are not ${customer}'s.`]
    : [
        `TODO(${customer}): fill in. Until then a record that needs this table is dead-lettered naming`,
        `the key to add (lookup_missing), never posted with the example's ids${kept}.`,
      ];
  editor.slots[first.from]!.before.push(...todo.map((line) => `${first.indent}# ${line}`));
  for (const span of spans) editor.commentOut(span.from, span.to, span.indent);
  if (filled) editor.slots[spans.at(-1)!.to]!.after.push(`${first.indent}values: {}`);
}

function lineStart(text: string, line: number): number {
  let offset = 0;
  for (let i = 0; i < line; i++) offset = text.indexOf('\n', offset) + 1;
  return offset;
}

/** The new customer's cases file: the example's first case (which needs no lookup value) and how to add more. */
export function scaffoldCases(exampleCasesText: string, names: ScaffoldNames): { text: string; caseName: string } {
  const editor = new LineEditor(exampleCasesText);
  const cases = pairOf(editor.doc.contents, 'cases');
  if (!cases || !isSeq(cases.value) || cases.value.items.length === 0) throw new Error('the example cases file has no cases');
  const items = cases.value.items as Node[];
  const from = editor.line(items[0]!.range![0]);
  let to = items[1]?.range ? editor.line(items[1].range[0]) - 1 : editor.line(cases.value.range![1] - 1);
  while (to > from && /^\s*(#.*)?$/.test(editor.slots[to]!.text)) to--;
  const caseLines = editor.slots.slice(from, to + 1).map((s) => s.text);
  const firstCase = items[0]!;
  const caseName = String((pairOf(firstCase, 'name')?.value as { value?: unknown } | undefined)?.value ?? '');
  const text = [
    `# yaml-language-server: $schema=${names.casesSchema}`,
    '#',
    `# Mapping tests of ${names.pipelineFile}: source records and what ${names.customer}'s pipeline must make of them.`,
    `#   npx ledgersync test ${names.pipelineFile} ${names.casesFile}`,
    '# CI runs them on every change (.github/workflows/ledgersync.yml). Add a case for each rule that',
    `# matters to ${names.customer}, above all the lookups once filled (this accounting code posts to that`,
    '# account). `expect:` lists only the fields it checks (lists item by item); `expect_error:` is the',
    '# error code a record must fail with; `refs:` stands in for records synced before. More cases:',
    `# ${names.example.replace(/\.ya?ml$/, '.cases.yaml')} in the ledgersync package.`,
    'cases:',
    ...caseLines,
    '',
  ].join('\n');
  return { text, caseName };
}
