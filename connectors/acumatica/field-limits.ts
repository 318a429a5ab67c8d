/**
 * The lengths of the text fields a document is found by (descriptor `settings.field_limits`, the
 * PXDBString length of the field behind each). Acumatica stores a longer value cut to that length
 * without an error (PXStringAttribute.FieldUpdating), so a document sent with a longer natural key
 * is never found by it again: its create is repeated after a lost answer, and two ids sharing their
 * first characters would find each other's document. Such a record is refused before any request.
 */
import { compileFieldLimits, type FieldLimit, firstTooLong } from '../../engine/connector/field-limits.js';
import { LedgersyncError } from '../../engine/errors.js';

/** Entity → its limits, as the descriptor's `settings.field_limits` (entity → field → length) declares them. */
export type FieldLimits = Readonly<Record<string, readonly FieldLimit[]>>;

export function entityFieldLimits(declared: Readonly<Record<string, Readonly<Record<string, number>>>>): FieldLimits {
  return Object.fromEntries(Object.entries(declared).map(([entity, limits]) => [entity, compileFieldLimits(limits)]));
}

/** UTF-16 code units, as .NET's `string.Length`, by which Acumatica cuts a value. */
const utf16Units = (text: string) => text.length;

/** The first of `fields` whose text is longer than the entity's limit for it, as a refusal naming the record, the field and the fix. */
export function overLimit(
  limits: FieldLimits,
  record: { entity: string; sourceId: string; data: Readonly<Record<string, unknown>> },
  fields: readonly string[],
  naturalKey: string,
): LedgersyncError | undefined {
  const { entity, sourceId, data } = record;
  const checked = (limits[entity] ?? []).filter((limit) => fields.includes(limit.path));
  const tooLong = firstTooLong(data, checked, utf16Units);
  if (!tooLong) return undefined;
  const { path: field, value, length, limit } = tooLong;
  return new LedgersyncError(
    'acumatica_invalid_value',
    'record',
    `${entity}.${field} '${value}' of source record ${sourceId} is ${length} characters; Acumatica's ${field} holds ${limit} and would silently keep only the first ${limit}`,
    {
      fix:
        field === naturalKey
          ? `map ${field} to a key of at most ${limit} characters, unique and the same on every run (and in the stream's void mapping): the id when it fits, else a digest of it, e.g. \`$length(id) <= ${limit} ? id : ">" & $digest(id, ${limit - 1})\`; cutting it would let two ids that share their first ${limit} characters find each other's document`
          : `map a value of at most ${limit} characters to ${field} (e.g. $truncate(…, ${limit}))`,
      details: { entity, field, limit, length, source_id: sourceId },
    },
  );
}
