/** connectors/acumatica/contract.json must be exactly what Acumatica's OpenAPI file says about the entities the connector writes. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deriveContract } from './contract-data.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'connectors', 'acumatica', 'contract.json');

describe('the contract data the Acumatica connector wraps values with', () => {
  it('equals what the vendor OpenAPI file defines for the written entities', () => {
    const derived = deriveContract();
    const text = `${JSON.stringify(derived, null, 1)}\n`;
    if (process.env['LEDGERSYNC_WRITE_CONTRACT'] === '1') writeFileSync(file, text);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(derived);
  });

  it('knows the field types the sink relies on', () => {
    const derived = deriveContract();
    expect(derived.schemas['InvoiceDetail']?.['Amount']).toBe('Decimal');
    expect(derived.schemas['Invoice']?.['Details']).toEqual({ detail: 'InvoiceDetail' });
    expect(derived.schemas['Customer']?.['MainContact']).toEqual({ linked: 'Contact' });
    expect(derived.topLevel['Invoice']?.actions).toContain('ReleaseInvoice');
    expect(derived.topLevel['Payment']?.actions).toContain('ReleasePayment');
  });
});
