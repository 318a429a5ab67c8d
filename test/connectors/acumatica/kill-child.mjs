// Runs the pipeline from the build (dist/) in a process of its own, so a test can SIGKILL it
// between an Acumatica write and the ledger write. Prints the run summary as JSON.
import { runPipeline } from '../../../dist/engine/run/runner.js';
import { silentLogger } from '../../../dist/engine/log.js';
import { installedConnectors } from '../../../dist/app/registry.js';

const [pipelinePath, statePath] = process.argv.slice(2);
const summary = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env: process.env, log: silentLogger });
process.stdout.write(JSON.stringify(summary));
