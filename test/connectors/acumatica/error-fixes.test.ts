/**
 * Every Acumatica error a run can stop or dead-letter on says what to do. A 403 (the integration
 * user's role lacks the rights to an entity's screen) is `acumatica_forbidden`, kind auth, with a fix
 * naming the role and the entity; before, it was `acumatica_http_403` with no fix. A refused action,
 * a missing record and a PX exception carry a fix too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAcumaticaError } from '../../../connectors/acumatica/errors.js';
import type { HttpResponse } from '../../../engine/http/connection.js';
import type { RunSummary } from '../../../engine/run/runner.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';

const ENDPOINT = 'http://acumatica.test/entity/Default/24.200.001';

function answer(status: number, body: Record<string, unknown>): HttpResponse {
  const text = JSON.stringify(body);
  return { status, headers: new Headers({ 'content-type': 'application/json' }), url: ENDPOINT, text, json: () => JSON.parse(text) };
}

describe('Acumatica error answers and their fixes', () => {
  it('403 is acumatica_forbidden, kind auth, naming the role of the integration user and the entity', () => {
    const error = describeAcumaticaError(
      "Acumatica tenant 'Company'",
      answer(403, { message: 'You have insufficient rights to access the object (Customer).' }),
      { method: 'PUT', path: `${ENDPOINT}/Customer?$expand=MainContact` },
    );
    expect(error.code).toBe('acumatica_forbidden');
    expect(error.kind).toBe('auth');
    expect(error.message).toBe(
      "Acumatica tenant 'Company': PUT Customer?$expand=MainContact answered 403 (forbidden): You have insufficient rights to access the object (Customer).",
    );
    expect(error.fix).toMatch(/role of the integration user \(ACUMATICA_USERNAME\)/);
    expect(error.fix).toContain('the Customer entity');
  });

  it('a refused action, a missing record and a PX exception each carry a fix', () => {
    const request = { method: 'POST' as const, path: `${ENDPOINT}/Invoice/ReleaseInvoice` };
    const refused = describeAcumaticaError('Acumatica', answer(400, { message: 'The document is on hold.' }), request);
    const missing = describeAcumaticaError(
      'Acumatica',
      answer(500, {
        message: 'An error has occurred.',
        exceptionMessage: 'No entity satisfies the condition.',
        exceptionType: 'PX.Api.ContractBased.NoEntitySatisfiesTheConditionException',
      }),
      request,
    );
    const px = describeAcumaticaError(
      'Acumatica',
      answer(500, { message: 'An error has occurred.', exceptionMessage: 'The document has been released.', exceptionType: 'PX.Data.PXException' }),
      request,
    );
    expect([refused.code, missing.code, px.code]).toEqual(['acumatica_action_refused', 'acumatica_not_found', 'acumatica_error']);
    expect(refused.fix).toMatch(/correct that in Acumatica or in the mapped field/);
    expect(missing.fix).toMatch(/ACUMATICA_TENANT/);
    expect(px.fix).toMatch(/business rule/);
  });
});

describe('a run whose user may not write customers', () => {
  let s: Sandbox;
  let run: RunSummary;
  beforeAll(async () => {
    s = await startSandbox({});
    s.acu.faults.failNext(1000, 403, 'You have insufficient rights to access the object (Customer).');
    run = await s.run();
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('stops with exit 3, acumatica_forbidden and the fix', () => {
    expect(run.exitCode).toBe(3);
    expect(run.error).toMatchObject({ code: 'acumatica_forbidden', kind: 'auth' });
    expect(run.error?.fix).toMatch(/role of the integration user/);
  });
});
