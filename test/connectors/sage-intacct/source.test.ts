import { describe, expect, it } from 'vitest';
import type { IntacctGateway } from '../../../connectors/sage-intacct/gateway.js';
import { IntacctSource } from '../../../connectors/sage-intacct/source.js';
import { silentLogger } from '../../../engine/log.js';

describe('IntacctSource', () => {
  it('refuses an endpoint the descriptor calls sorted: readByQuery is not, and checkpoints move only at the end', async () => {
    const untouched = new Proxy({} as IntacctGateway, {
      get: () => {
        throw new Error('no request may be sent');
      },
    });
    const source = new IntacctSource(
      untouched,
      { payments: { description: 'AR payments', path: 'ARPYMT', cursor: { field: 'WHENMODIFIED', sortable: true } } },
      1000,
    );
    const ctx = { log: silentLogger, signal: new AbortController().signal, now: () => 0 };
    const read = source.read({ stream: 'payments', endpoint: 'payments', checkpoint: undefined, lookbackSeconds: 0, params: {} }, ctx);
    await expect(read[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'invalid_descriptor', kind: 'system' });
  });
});
