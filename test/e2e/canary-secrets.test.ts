/**
 * No secret anywhere: every command of the built CLI runs with canary secret values, through
 * authentication failures, dead letters and vendors that echo the credentials they were sent
 * (test/support/echo-gateway.ts, in front of each fake), with debug logging on. Then every canary,
 * and every credential a gateway saw (access tokens, sessions, Basic headers), is looked for raw,
 * URL- and form-encoded, JSON-escaped, XML-escaped and inside base64, in everything ledgersync
 * wrote: stdout, stderr, the state file with its WAL and shared memory (a run killed with SIGKILL
 * leaves its WAL behind), the output files, and the files `init` writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { secretForms } from '../../engine/secrets.js';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../fakes/dualentry/index.js';
import { startFakeIntacct, type FakeIntacct } from '../fakes/intacct/index.js';
import { startFakeQbo, type FakeQbo } from '../fakes/qbo/index.js';
import { startEchoGateway, type EchoGateway } from '../support/echo-gateway.js';
import { CLI, ROOT, editFile, tempDir } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const EXAMPLES = join(ROOT, 'pipelines/examples');

/** A canary: characters every encoding changes (+ / = & " \ < > and a space), then a unique tail. */
const canary = (name: string) => `cnry-${name}-Zq8+/x=&"y\\z<w> ${randomBytes(6).toString('hex')}`;
const CANARIES = {
  chargebeeKey: canary('cb'),
  chargebeeWrongKey: canary('cbwrong'),
  qboClientSecret: canary('qbosecret'),
  qboRefreshToken: canary('qborefresh'),
  dualentryKey: canary('dekey'),
  dualentryWrongKey: canary('dewrong'),
  intacctSenderPassword: canary('senderpw'),
  intacctUserPassword: canary('userpw'),
  intacctWrongPassword: canary('userpwwrong'),
  secretKey: canary('secretkey'),
};

interface Ran {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

const work = tempDir('ledgersync-canary-');
const statePath = join(work.dir, 'state.db');
const out = join(work.dir, 'out');
const ran: Ran[] = [];
const gateways: EchoGateway[] = [];
let chargebee: FakeChargebee;
let qbo: FakeQbo;
let dualentry: FakeDualEntry;
let intacct: FakeIntacct;
let env: Record<string, string>;

function cli(args: string[], extra: Record<string, string> = {}, killWhen?: () => boolean): Promise<Ran> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: work.dir, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = killWhen === undefined ? undefined : setInterval(() => killWhen() && child.kill('SIGKILL'), 5);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearInterval(timer);
      const result = { command: `ledgersync ${args.join(' ')}`, code, stdout, stderr };
      ran.push(result);
      resolve(result);
    }),
  );
}

async function gateway(url: string): Promise<EchoGateway> {
  const started = await startEchoGateway(url);
  gateways.push(started);
  return started;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Where each form of each secret turns up: `<secret name> (<form>) in <place>`. */
function leaks(places: Array<{ name: string; bytes: Buffer }>, secrets: Array<{ name: string; value: string }>): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const forms = secretForms(secret.value);
    const all = [...forms.whole.map((f, i) => ({ form: `form ${i}`, text: f })), ...forms.base64.map((f, i) => ({ form: `base64 core ${i}`, text: f }))];
    for (const { form, text } of all) {
      const needle = Buffer.from(text, 'utf8');
      for (const place of places) if (place.bytes.includes(needle)) found.push(`${secret.name} (${form}: ${text}) in ${place.name}`);
    }
  }
  return found;
}

describe.skipIf(!built)('no secret anywhere: every command, with canary secrets, vendors echoing them', () => {
  beforeAll(async () => {
    chargebee = await startFakeChargebee({ customers: 40, apiKey: CANARIES.chargebeeKey });
    qbo = await startFakeQbo({ clientSecret: CANARIES.qboClientSecret, refreshToken: CANARIES.qboRefreshToken });
    dualentry = await startFakeDualEntry({ apiKey: CANARIES.dualentryKey });
    intacct = await startFakeIntacct({ senderPassword: CANARIES.intacctSenderPassword, userPassword: CANARIES.intacctUserPassword });
    const cb = await gateway(chargebee.url);
    const q = await gateway(qbo.url);
    const de = await gateway(dualentry.url);
    const ia = await gateway(intacct.url);
    env = {
      PATH: process.env['PATH'] ?? '',
      LEDGERSYNC_LOG_LEVEL: 'debug',
      LEDGERSYNC_STATE: statePath,
      LEDGERSYNC_OUT: out,
      LEDGERSYNC_SECRET_KEY: CANARIES.secretKey,
      CHARGEBEE_SITE: chargebee.site,
      CHARGEBEE_API_KEY: CANARIES.chargebeeKey,
      CHARGEBEE_BASE_URL: cb.through(chargebee.url),
      QBO_REALM_ID: qbo.realmId,
      QBO_CLIENT_ID: qbo.clientId,
      QBO_CLIENT_SECRET: CANARIES.qboClientSecret,
      QBO_REFRESH_TOKEN: CANARIES.qboRefreshToken,
      QBO_BASE_URL: q.through(qbo.url),
      QBO_TOKEN_URL: q.through(qbo.tokenUrl),
      DUALENTRY_API_KEY: CANARIES.dualentryKey,
      DUALENTRY_COMPANY_ID: String(dualentry.companyId),
      DUALENTRY_BASE_URL: de.through(dualentry.url),
      DUALENTRY_ROUNDING_ACCOUNT: '7990',
      INTACCT_SENDER_ID: intacct.credentials.senderId,
      INTACCT_SENDER_PASSWORD: CANARIES.intacctSenderPassword,
      INTACCT_COMPANY_ID: intacct.credentials.companyId,
      INTACCT_USER_ID: intacct.credentials.userId,
      INTACCT_USER_PASSWORD: CANARIES.intacctUserPassword,
      INTACCT_ENDPOINT_URL: ia.through(intacct.url),
    };
    for (const name of ['chargebee-to-jsonl', 'chargebee-to-quickbooks', 'chargebee-revrec-to-dualentry', 'chargebee-to-intacct']) {
      copyFileSync(join(EXAMPLES, `${name}.yaml`), join(work.dir, `${name}.yaml`));
      copyFileSync(join(EXAMPLES, `${name}.cases.yaml`), join(work.dir, `${name}.cases.yaml`));
    }
    // DualEntry publishes no rate limit and the descriptor assumes 60 a minute: not what a test needs.
    editFile(join(work.dir, 'chargebee-revrec-to-dualentry.yaml'), [
      ['  record_status: posted\n', '  record_status: posted\n  rate_limit: { requests: 100, per_seconds: 1, concurrency: 4 }\n'],
    ]);
    // Card payments the table no longer maps, and no default: dead letters from the mapping itself.
    editFile(join(work.dir, 'chargebee-to-jsonl.yaml'), [
      ['    default: Other\n', ''],
      ['      card: Credit card\n', ''],
    ]);
  }, 60_000);

  afterAll(async () => {
    if (process.env['LEDGERSYNC_CANARY_LOG']) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env['LEDGERSYNC_CANARY_LOG'], ran.map((r) => `$ ${r.command} → ${r.code}\n${r.stdout}\n--- stderr\n${r.stderr}\n`).join('\n'));
    }
    for (const g of gateways) await g.close();
    await chargebee?.close();
    await qbo?.close();
    await dualentry?.close();
    await intacct?.close();
    work.cleanup();
  });

  const pipeline = (name: string) => join(work.dir, `${name}.yaml`);

  it('validate, test and init', async () => {
    expect((await cli(['validate', `${work.dir}/*.yaml`])).code).toBe(0);
    expect((await cli(['validate', '--format', 'json', '--explain', `${work.dir}/*.yaml`])).code).toBe(0);
    // The JSON Lines copy no longer maps card payments: its cases fail (exit 1) and print the dead letter.
    for (const [name, code] of [
      ['chargebee-to-jsonl', 1],
      ['chargebee-to-quickbooks', 0],
    ] as const) {
      expect((await cli(['test', pipeline(name), pipeline(name).replace('.yaml', '.cases.yaml'), '--show-output'])).code).toBe(code);
    }
    expect((await cli(['init', 'acme', '--target', 'jsonl', '--dir', join(work.dir, 'init')])).code).toBe(0);
  }, 120_000);

  it('Chargebee: a refused key echoed back, then dead letters, status, reset, unlock and a run killed mid-way', async () => {
    const refused = await cli(['run', pipeline('chargebee-to-jsonl'), '--json'], { CHARGEBEE_API_KEY: CANARIES.chargebeeWrongKey });
    expect(refused.code, refused.stderr).toBe(3);
    expect(gateways[0]!.echoed).toBeGreaterThan(0);
    const partial = await cli(['run', pipeline('chargebee-to-jsonl')]);
    expect(partial.code, partial.stderr).toBe(1);
    for (const args of [['status'], ['status', '--json'], ['unlock'], ['reset', '--stream', 'transactions']]) {
      const result = await cli([args[0]!, pipeline('chargebee-to-jsonl'), ...args.slice(1)]);
      expect(result.code, result.command).toBe(0);
    }
    chargebee.faults.delayMs = 200;
    const served = chargebee.requests.length;
    await cli(['run', pipeline('chargebee-to-jsonl'), '--full-refresh'], {}, () => chargebee.requests.length >= served + 3);
    chargebee.faults.delayMs = 0;
    expect(existsSync(`${statePath}-wal`), 'a SIGKILLed run leaves its WAL').toBe(true);
  }, 120_000);

  it('QuickBooks Online: a refresh token Intuit refuses, then refused writes echoing the access token', async () => {
    const rejected = await cli(['run', pipeline('chargebee-to-quickbooks'), '--state', join(work.dir, 'qbo-revoked.db')], {
      QBO_REFRESH_TOKEN: `${CANARIES.qboRefreshToken}-stale`,
    });
    expect(rejected.code, rejected.stderr).toBe(3);
    // QuickBooks refuses every item of the next two batches, as a 200 with a fault per item (dead letters).
    gateways[1]!.refuseNext(
      2,
      (method, path) => method === 'POST' && path.includes('/batch'),
      (echo, body) => ({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          BatchItemResponse: (JSON.parse(body) as { BatchItemRequest: Array<{ bId: string }> }).BatchItemRequest.map(({ bId }) => ({
            bId,
            Fault: {
              Error: [
                { Message: `Request has invalid or unsupported property${echo}`, Detail: `Property Name:Bogus specified is unsupported${echo}`, code: '2010' },
              ],
              type: 'ValidationFault',
            },
          })),
          time: new Date().toISOString(),
        }),
      }),
    );
    const run = await cli(['run', pipeline('chargebee-to-quickbooks'), '--state', join(work.dir, 'qbo.db')]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/WARN .*qbo_2010|WARN .*invalid or unsupported property \[request credentials: Bearer \*\*\*/);
    expect((await cli(['status', pipeline('chargebee-to-quickbooks'), '--state', join(work.dir, 'qbo.db'), '--json'])).code).toBe(0);
  }, 180_000);

  it('DualEntry: a refused key echoed back, then a run and post', async () => {
    const refused = await cli(['run', pipeline('chargebee-revrec-to-dualentry'), '--state', join(work.dir, 'de.db')], {
      DUALENTRY_API_KEY: CANARIES.dualentryWrongKey,
    });
    expect([2, 3], refused.stderr).toContain(refused.code);
    const run = await cli(['run', pipeline('chargebee-revrec-to-dualentry'), '--state', join(work.dir, 'de.db')]);
    expect([0, 1], run.stderr).toContain(run.code);
    const post = await cli(['post', pipeline('chargebee-revrec-to-dualentry'), '--period', '2025-03', '--state', join(work.dir, 'de.db'), '--json']);
    expect(post.code, post.stderr).not.toBeNull();
  }, 180_000);

  it('Sage Intacct: a refused user password echoed back by the gateway', async () => {
    const refused = await cli(['run', pipeline('chargebee-to-intacct'), '--state', join(work.dir, 'intacct.db')], {
      INTACCT_USER_PASSWORD: CANARIES.intacctWrongPassword,
    });
    expect([2, 3], refused.stderr).toContain(refused.code);
    expect(gateways[3]!.echoed).toBeGreaterThan(0);
  }, 120_000);

  it('finds none of the canaries, nor any credential a gateway saw, in any output, state file, WAL or written file', () => {
    const places = [
      ...ran.flatMap((r) => [
        { name: `stdout of ${r.command}`, bytes: Buffer.from(r.stdout) },
        { name: `stderr of ${r.command}`, bytes: Buffer.from(r.stderr) },
      ]),
      ...filesUnder(work.dir)
        .filter((file) => !file.endsWith('.yaml') || file.includes('/init/'))
        .map((file) => ({ name: file, bytes: readFileSync(file) })),
    ];
    expect(places.some((p) => p.name.endsWith('.db-wal'))).toBe(true);
    // The search itself finds every form it looks for (raw, encoded, escaped, inside base64).
    const control = `user:${CANARIES.chargebeeKey}`;
    const planted = [
      CANARIES.chargebeeKey,
      encodeURIComponent(CANARIES.chargebeeKey),
      JSON.stringify(JSON.stringify(CANARIES.chargebeeKey)),
      `Basic ${Buffer.from(control).toString('base64')}`,
    ].map((text, i) => ({ name: `control ${i}`, bytes: Buffer.from(`…${text}…`) }));
    expect(new Set(leaks(planted, [{ name: 'chargebeeKey', value: CANARIES.chargebeeKey }]).map((l) => l.replace(/.* in /, '')))).toEqual(
      new Set(planted.map((p) => p.name)),
    );
    for (const g of gateways) expect(g.echoed, 'every vendor echoed credentials').toBeGreaterThan(0);
    const secrets = [
      ...Object.entries(CANARIES).map(([name, value]) => ({ name, value })),
      ...gateways.flatMap((g, i) => [...g.credentials].map((value, j) => ({ name: `credential ${j} seen by gateway ${i}`, value }))),
    ];
    expect(secrets.length).toBeGreaterThan(Object.keys(CANARIES).length + 3);
    expect(leaks(places, secrets)).toEqual([]);
  });
});
