/**
 * JUnit XML, the test report format CI systems read (GitHub, GitLab, Jenkins, Azure): one
 * `<testsuite>` per file, one `<testcase>` per case, `<failure>` for a case that ran and failed,
 * `<error>` for one that could not run.
 */

export interface JUnitOutcome {
  /** One line: what a CI summary shows. */
  message: string;
  /** A short machine word: `mapping_mismatch`, `invalid_cases`… */
  type: string;
  /** The whole story. */
  text: string;
}

export interface JUnitCase {
  name: string;
  classname: string;
  file?: string;
  line?: number;
  seconds: number;
  failure?: JUnitOutcome;
  error?: JUnitOutcome;
  systemOut?: string;
}

export interface JUnitSuite {
  name: string;
  file?: string;
  /** ISO 8601 start time. */
  timestamp: string;
  seconds: number;
  properties?: Record<string, string>;
  cases: JUnitCase[];
}

export function junitXml(suites: readonly JUnitSuite[], name: string): string {
  const count = (suite: JUnitSuite, kind: 'failure' | 'error') => suite.cases.filter((c) => c[kind]).length;
  const total = (f: (s: JUnitSuite) => number) => suites.reduce((sum, s) => sum + f(s), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({
      name,
      tests: total((s) => s.cases.length),
      failures: total((s) => count(s, 'failure')),
      errors: total((s) => count(s, 'error')),
      time: seconds(total((s) => s.seconds)),
    })}>`,
  ];
  for (const suite of suites) {
    lines.push(
      `  <testsuite${attributes({
        name: suite.name,
        tests: suite.cases.length,
        failures: count(suite, 'failure'),
        errors: count(suite, 'error'),
        skipped: 0,
        time: seconds(suite.seconds),
        timestamp: suite.timestamp,
        file: suite.file,
      })}>`,
    );
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length) {
      lines.push('    <properties>');
      for (const [key, value] of properties) lines.push(`      <property${attributes({ name: key, value })}/>`);
      lines.push('    </properties>');
    }
    for (const c of suite.cases) {
      const open = `    <testcase${attributes({ name: c.name, classname: c.classname, file: c.file, line: c.line, time: seconds(c.seconds) })}`;
      const body = [
        ...(c.failure ? [outcome('failure', c.failure)] : []),
        ...(c.error ? [outcome('error', c.error)] : []),
        ...(c.systemOut !== undefined ? [`      <system-out>${text(c.systemOut)}</system-out>`] : []),
      ];
      lines.push(body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function outcome(tag: 'failure' | 'error', o: JUnitOutcome): string {
  return `      <${tag}${attributes({ message: o.message, type: o.type })}>${text(o.text)}</${tag}>`;
}

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${attribute(String(v))}"`)
    .join('');
}

function seconds(value: number): string {
  return value.toFixed(3);
}

// XML 1.0 cannot hold most control characters, even escaped: they are dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(value: string): string {
  return value.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attribute(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
