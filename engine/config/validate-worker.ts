/**
 * Worker thread of `ledgersync validate`: loads one pipeline file at a time in validate mode and
 * posts its problems back. A file that would hold the thread too long or exhaust its memory takes
 * this worker down, never the command: the host terminates it and goes on with the next file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ConfigProblem } from '../errors.js';
import { ownSchemaValidator } from './ajv.js';
import { listConnectors, loadConnector } from './descriptors.js';
import { checkFile } from './check-file.js';
import type { ExpressionReport } from './expression-report.js';
import type { DeclaredName } from './load.js';

export interface CheckRequest {
  id: number;
  file: string;
}

export type CheckReply =
  | { id: number; problems: ConfigProblem[]; expressions: ExpressionReport[]; name?: DeclaredName }
  | { id: number; failure: string }
  | { ready: true };

const { env, connectorsDir } = workerData as { env: Record<string, string | undefined>; connectorsDir: string };

parentPort?.on('message', (request: CheckRequest) => {
  checkFile(request.file, env, connectorsDir).then(
    (result) => parentPort?.postMessage({ id: request.id, ...result } satisfies CheckReply),
    (error: unknown) => parentPort?.postMessage({ id: request.id, failure: error instanceof Error ? error.message : String(error) } satisfies CheckReply),
  );
});

// Modules loaded, schemas and descriptors compiled: from now on a file's time limit measures that file alone.
try {
  ownSchemaValidator('pipeline-base', true);
  for (const name of listConnectors(connectorsDir)) loadConnector(connectorsDir, name);
} catch {
  // Only a warm-up: what fails here fails again, reported, in the file that needs it.
}
parentPort?.postMessage({ ready: true } satisfies CheckReply);
