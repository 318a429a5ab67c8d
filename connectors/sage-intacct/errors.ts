/** Intacct's `<errormessage>` (errorno, description, description2, correction) as errors a person can act on. */
import { LedgersyncError, type ErrorKind } from '../../engine/errors.js';
import type { IntacctError } from './xml.js';

/** Errors that only say "the request failed" and carry nothing to act on. */
const genericErrorNumbers = new Set(['BL01001973', 'XL03000009']);

function describe(errors: readonly IntacctError[]): { errorno: string; said: string; correction: string } {
  const specific = errors.filter((e) => !genericErrorNumbers.has(e.errorno));
  const main = specific[0] ?? errors[0];
  const said = (specific.length ? specific : errors).map((e) => [e.errorno, e.description, e.description2].filter(Boolean).join(' ')).join('; ');
  const correction = errors
    .map((e) => e.correction)
    .filter(Boolean)
    .join(' ');
  return { errorno: main?.errorno ?? 'unknown', said: said || 'no error message', correction };
}

/**
 * @param ownFix what ledgersync knows to do (which variable to check); Intacct's correction, when it
 *   gives one, is added to it
 */
export function intacctError(
  kind: ErrorKind,
  what: string,
  errors: readonly IntacctError[],
  details: Record<string, unknown> = {},
  ownFix?: string,
): LedgersyncError {
  const { errorno, said, correction } = describe(errors);
  const fix = ownFix && correction ? `${ownFix} (Intacct: ${correction})` : ownFix || correction;
  return new LedgersyncError(`intacct_${errorno.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`, kind, `${what}: ${said}`, {
    details: { ...details, errorno, errors },
    ...(fix ? { fix } : {}),
  });
}

/** A function the gateway refused for one record: the record is dead-lettered with Intacct's own words. */
export function recordRejected(object: string, naturalKey: string | undefined, sourceId: string, errors: readonly IntacctError[]): LedgersyncError {
  const aborted = errors.length > 0 && errors.every((e) => genericErrorNumbers.has(e.errorno));
  const hasCorrection = errors.some((e) => e.correction);
  return intacctError(
    aborted ? 'transient' : 'record',
    `Sage Intacct refused ${object}${naturalKey ? ` ${naturalKey}` : ''} (source record ${sourceId})`,
    errors,
    { sourceId, object, ...(naturalKey ? { naturalKey } : {}) },
    hasCorrection ? undefined : 'correct the record or the pipeline (lookup tables, options) and re-run: the record will be retried',
  );
}
