/**
 * `validate` checks what a mapping can put in a sink field whose values the sink's descriptor
 * declares (Chargebee's `offline_payment.payment_method`: the enum of record_payment's
 * transaction[payment_method] in the chargebee package): string literals in the mapping, and
 * every value and the default of a lookup table feeding that field, found through the JSONata AST.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { validateFiles } from '../../../engine/config/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-fields-'));

function pipeline(name: string, lookups: string, mapping: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: ${name}
source:
  connector: sage-intacct
  sender_id: \${S}
  sender_password: \${P}
  company_id: \${C}
  user_id: \${U}
  user_password: \${W}
sink:
  connector: chargebee
  site: acme-test
  api_key: \${K}
lookups:
${lookups}
streams:
  - name: offline_payments
    endpoint: ar_payments
    target: { object: offline_payment }
    mapping:
${mapping}
`,
  );
  return file;
}

const problemsOf = async (file: string) =>
  (await validateFiles([file], { connectorsDir: installedConnectors.descriptorsDir, env: {} })).problems.filter((p) => p.code === 'field_value_not_accepted');

describe('constrained sink fields', () => {
  it("refuses a lookup table that maps to 'card', at the table entry, with the accepted values", async () => {
    const file = pipeline(
      'card',
      `  methods:
    description: x
    default: check
    values:
      Cash: cash
      Credit Card: card`,
      `      expression: |
        $map(APPLIED_TO, function($a) {{ "invoice_id": $a.INVOICENO, "payment_method": $lookup("methods", $$.PAYMENTMETHOD) }})`,
    );
    const problems = await problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: 20, column: 20, path: '/lookups/methods/values/Credit Card' });
    expect(problems[0]!.message).toBe(
      "'card' is not a payment method Chargebee can record: use one of cash, check, bank_transfer, other, app_store, play_store, custom, dana, touch_n_go, tamara, qpay (lookup table 'methods' feeds payment_method)",
    );
  });

  it('checks the default, literals on both branches of a condition, and the fields form of a mapping', async () => {
    const file = pipeline(
      'several',
      `  methods:
    description: x
    default: Card
    values:
      Cash: CASH`,
      `      fields:
        invoice_id: INVOICENO
        payment_method: 'PAYMENTMETHOD = "X" ? "wire" : $lookup("methods", PAYMENTMETHOD)'`,
    );
    const messages = (await problemsOf(file)).map((p) => p.message.split(':')[0]);
    // CASH passes: the sink lowercases the method (ignore_case in the descriptor).
    expect(messages.sort()).toEqual(["'Card' is not a payment method Chargebee can record", "'wire' is not a payment method Chargebee can record"]);
  });

  it('accepts a table whose every value Chargebee can record, and ignores tables feeding other fields', async () => {
    const file = pipeline(
      'fine',
      `  methods:
    description: x
    default: check
    values: { Cash: cash, Credit Card: other, EFT: bank_transfer }
  labels:
    description: y
    values: { a: card }`,
      `      expression: |
        { "invoice_id": INVOICENO, "payment_method": $lookup("methods", PAYMENTMETHOD), "comment": $lookup("labels", "a") }`,
    );
    expect(await problemsOf(file)).toEqual([]);
  });
});
