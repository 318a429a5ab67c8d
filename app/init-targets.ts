/** The targets `ledgersync init` can start a customer on, and the example pipeline each starts from. */
export const INIT_TARGETS = {
  'quickbooks-online': 'chargebee-to-quickbooks',
  'sage-intacct': 'chargebee-to-intacct',
  dualentry: 'chargebee-revrec-to-dualentry',
  jsonl: 'chargebee-to-jsonl',
  acumatica: 'chargebee-to-acumatica',
  sql: 'chargebee-to-metrics',
} as const;

export type InitTarget = keyof typeof INIT_TARGETS;
