/**
 * The GitHub Actions workflow `ledgersync init` writes once per repository: on every change to
 * the pipelines, `ledgersync validate` on every pipeline and cases file, then `ledgersync test`
 * on every `<name>.cases.yaml` against the `<name>.yaml` beside it, with the ledgersync version
 * the repository was set up with. No secret is needed: validate and test never connect.
 */

export interface WorkflowOptions {
  /** The ledgersync version to pin. */
  version: string;
  /** The pipelines folder, relative to the repository root, with `/` (usually `pipelines`). */
  pipelinesDir: string;
}

export const WORKFLOW_PATH = '.github/workflows/ledgersync.yml';

/** The version a workflow written by `init` pins, if it is one. */
export function pinnedVersion(workflow: string): string | undefined {
  return /^\s*LEDGERSYNC_VERSION:\s*"?([^"\s]+)"?\s*$/m.exec(workflow)?.[1];
}

export function ciWorkflow({ version, pipelinesDir }: WorkflowOptions): string {
  const dir = pipelinesDir.replace(/\/+$/, '');
  const quotedDir = shellQuote(dir);
  return `# Written by \`ledgersync init\` (ledgersync ${version}). On every change to the pipelines: validate
# every pipeline and mapping cases file, then run the mapping tests of each pipeline
# (<name>.cases.yaml against the <name>.yaml beside it). Needs no secret: nothing connects.
# Problems are printed as file:line:col: message.
name: ledgersync

on:
  push:
    paths: ['${dir}/**', '${WORKFLOW_PATH}', 'package.json', 'package-lock.json']
  pull_request:
    paths: ['${dir}/**', '${WORKFLOW_PATH}', 'package.json', 'package-lock.json']
  workflow_dispatch: {}

permissions:
  contents: read

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    env:
      # The ledgersync version this repository's pipelines are checked with. When package-lock.json
      # pins ledgersync (npm install <tarball, git URL or version>), both must agree.
      LEDGERSYNC_VERSION: "${version}"
    defaults:
      run:
        shell: bash
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install ledgersync \${{ env.LEDGERSYNC_VERSION }}
        # --ignore-scripts: validate and test never open the state database, so the native SQLite
        # module is not compiled (minutes saved on every run).
        run: |
          if [ -f package-lock.json ]; then
            npm ci --ignore-scripts --no-audit --no-fund
          else
            npm install --no-save --ignore-scripts --no-audit --no-fund "ledgersync@$LEDGERSYNC_VERSION"
          fi
          installed="$(node -p "require('./node_modules/ledgersync/package.json').version")"
          if [ "$installed" != "$LEDGERSYNC_VERSION" ]; then
            echo "::error file=${WORKFLOW_PATH}::ledgersync $installed is installed but this workflow pins $LEDGERSYNC_VERSION: make LEDGERSYNC_VERSION and package-lock.json agree"
            exit 1
          fi
          if [ ! -f node_modules/ledgersync/dist/app/cli.js ]; then
            echo "::error file=${WORKFLOW_PATH}::ledgersync is installed without its build: a git URL is built by npm's prepare script, which --ignore-scripts skips; install it from a tarball kept in this repository (npm pack) or the registry"
            exit 1
          fi
      - name: Validate pipelines and mapping cases
        run: npx --no ledgersync validate ${shellQuote(`${dir}/**/*.{yaml,yml}`)}
      - name: Mapping tests
        run: |
          status=0
          found=0
          while IFS= read -r -d '' cases; do
            found=$((found + 1))
            stem="\${cases%.cases.*}"
            pipeline=""
            for candidate in "$stem.yaml" "$stem.yml"; do
              if [ -f "$candidate" ]; then pipeline="$candidate"; break; fi
            done
            if [ -z "$pipeline" ]; then
              echo "::error file=$cases::no pipeline $stem.yaml beside $cases"
              status=1
              continue
            fi
            npx --no ledgersync test "$pipeline" "$cases" || status=1
          done < <(find ${quotedDir} \\( -name '*.cases.yaml' -o -name '*.cases.yml' \\) -print0 | sort -z)
          echo "$found cases file(s) run"
          exit $status
`;
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
