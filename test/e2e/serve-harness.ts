/**
 * `ledgersync serve` as a user runs it: the built CLI in a child process, pointed at the fake
 * Chargebee and the fake QuickBooks Online of a QBO sandbox (test/connectors/quickbooks-online/),
 * with the same state file as the sandbox's scheduled runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody, type Delivery, type WebhookAuth } from '../fakes/chargebee/index.js';
import { CLI } from './helpers.js';

export const WEBHOOK_SECRET = 'whsec-0123456789-abcdef-canary';

export interface ServeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The pipeline's webhook URL. */
  webhookUrl: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function cliEnv(s: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', ...s.env, LEDGERSYNC_WEBHOOK_SECRET: WEBHOOK_SECRET, ...extra };
}

export function startServeProcess(s: Sandbox, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<ServeProcess> {
  return spawnServe(s.pipelinePath, ['--state', s.statePath, ...args], cliEnv(s, extraEnv));
}

/** `ledgersync serve <pipeline> --port 0 ARGS` with exactly `env`: nothing of the sandbox's environment unless given. */
export async function spawnServe(pipelinePath: string, args: string[], env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', pipelinePath, '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => /listening on http:\/\/\S+:\d+/.test(text) || gone, 'ledgersync serve to listen');
  const url = /listening on (http:\/\/\S+:\d+)/.exec(text)?.[1];
  if (!url) throw new Error(`ledgersync serve did not start:\n${text}`);
  return { child, url, webhookUrl: `${url}/webhooks/chargebee-to-quickbooks`, output: () => text, exited };
}

export const basic: WebhookAuth = { basic: { user: 'chargebee', password: WEBHOOK_SECRET } };

/** Delivers the site's latest event about a record, as Chargebee would. */
export async function deliverLatest(
  s: Sandbox,
  serve: ServeProcess,
  singular: string,
  id: string,
  auth: WebhookAuth = basic,
): Promise<Delivery & { eventId: string }> {
  const event = eventsAbout(s.cb.state, singular, id).at(-1);
  if (!event) throw new Error(`no event about ${singular} ${id}`);
  return { ...(await deliverWebhook(serve.webhookUrl, webhookBody(event), auth)), eventId: event.id! };
}

/**
 * Runs a CLI command with the sandbox's environment; its exit code and output. Asynchronous: the
 * fakes answer from this process, so a synchronous spawn would leave the command without answers.
 */
export function cli(s: Sandbox, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(s), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
