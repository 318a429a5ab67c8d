/**
 * The Sage Intacct sink: each mapped record is one gateway function (create_invoice,
 * apply_arpayment, `<create><CUSTOMER>`…). A batch costs one lookup request (every record of the
 * batch to find, object by object, in one request of readByQuery functions), one request counting
 * the lines of the invoices it updates, and one write request per `functions_per_request` records,
 * sent under `uniqueid` with control ids derived from the records' content, so neither a retried
 * request nor a resumed run posts a document twice.
 */
import { createHash } from 'node:crypto';
import { LedgersyncError, asLedgersyncError } from '../../engine/errors.js';
import type { Logger } from '../../engine/log.js';
import type { PlannedWrite, PlanningRecord, ReferenceAnswer, ReferenceQuery, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { countDocumentLines } from './document-lines.js';
import { createBody, naturalKeyOf, specFor, updateBody, voidBody, type ObjectSpec } from './documents.js';
import { recordRejected } from './errors.js';
import { DuplicateControlIdError, readByQuery, requestControlId, type IntacctGateway, type WriteAnswer } from './gateway.js';
import { IN_LIST_MAX, READ_BY_QUERY_MAX_PAGE_SIZE, inList } from './query.js';
import { checkIntacctReferences } from './references.js';
import {
  adoptionNote,
  appliedDifferently,
  changedAfterPosting,
  createdInDoubt,
  forbiddenCharacterError,
  numberHeldByReversal,
  stillInDoubt,
  voidByHand,
  voidRefused,
} from './dead-letters.js';
import { detailsOnItsInvoices, isApplied, isVoid, type Planned } from './planned.js';
import { keyOf, type FunctionResult, type GatewayFunction } from './xml.js';

export interface IntacctSinkSettings {
  /** Functions sent in one request (descriptor `settings.functions_per_request`). */
  functionsPerRequest: number;
  /** Largest batch the runner hands over (descriptor `max_batch`). */
  maxBatchSize: number;
  /** The objects the sink writes, with their natural keys and look-ups (`objectSpecsOf`). */
  specs: Readonly<Record<string, ObjectSpec>>;
  /** STATE of a document Intacct has reversed, and of the reversing transaction (descriptor `settings.void_states`). */
  voidStates: Readonly<{ voided: string; voiding: string }>;
}

/** How a record is looked up: the readByQuery it joins (object, compared field, fields read) and its value there. */
interface LookupOf {
  object: string;
  field: string;
  fields: string;
  value: string;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

export class IntacctSink implements Sink {
  readonly maxBatchSize: number;

  constructor(
    private readonly gateway: IntacctGateway,
    private readonly settings: IntacctSinkSettings,
    private readonly log: Logger,
  ) {
    this.maxBatchSize = settings.maxBatchSize;
  }

  async open(): Promise<void> {
    await this.gateway.ensureSession();
  }

  /** `ledgersync check`: a session, then every referenced id read by its object's id field (connectors/sage-intacct/references.ts). */
  async check(queries: readonly ReferenceQuery[]): Promise<ReferenceAnswer[][]> {
    await this.gateway.ensureSession();
    return checkIntacctReferences(this.gateway, queries);
  }

  /**
   * What `write` would do, from the same checks and the same look-up requests (every record of the
   * batch not in the ledger and every void, one readByQuery per object; the lines of the invoices it
   * would update) and nothing else: the gateway functions
   * are built, so a record Intacct's rules would refuse here fails here too, but none is sent.
   */
  async plan(batch: readonly PlanningRecord[]): Promise<PlannedWrite[]> {
    await this.gateway.ensureSession();
    const results: (SinkResult | undefined)[] = new Array(batch.length);
    const planned = this.prepare(batch, results);
    await this.lookUpBatch(planned);
    for (const p of planned) {
      try {
        this.decide(p, results);
      } catch (error) {
        results[p.index] = { status: 'failed', error: asLedgersyncError(error, 'record') };
      }
    }
    await this.buildLineUpdates(planned, results);
    return batch.map((record, index): PlannedWrite => {
      const result = results[index];
      const p = planned.find((x) => x.index === index);
      if (result?.status === 'failed') return { action: 'fail', error: result.error };
      if (result?.status === 'skipped' && record.action === 'void')
        return { action: 'skip', ...(result.targetId ? { targetId: result.targetId } : {}), note: result.reason };
      if (p?.op === 'void') {
        const repost = p.replaces ? `, posted under ${p.spec.naturalKey} ${p.key} since RECORDNO ${p.replaces} of the ledger was reversed or deleted` : '';
        return { action: 'void', targetId: p.recordNo!, note: `${p.spec.voiding!.function} of RECORDNO ${p.recordNo}${repost}` };
      }
      if (result?.status === 'skipped')
        return result.targetId ? { action: 'adopt', targetId: result.targetId, note: result.reason } : { action: 'skip', note: result.reason };
      if (result?.status === 'created') return { action: 'adopt', targetId: result.targetId, note: adoptionNote(p) };
      if (p?.op === 'update') {
        if (p.completesCreate)
          return { action: 'update', targetId: p.recordNo!, note: `an interrupted run created it (RECORDNO ${p.recordNo}): updated to this version` };
        return !this.knownTarget(p)
          ? { action: 'update', targetId: p.recordNo!, note: `already in Intacct (${p.spec.naturalKey} ${p.key}): updated in place` }
          : { action: 'update', ...(record.previous?.targetId ? { targetId: record.previous.targetId } : {}) };
      }
      return { action: 'create' };
    });
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    const results: (SinkResult | undefined)[] = new Array(batch.length);
    const planned = this.prepare(batch, results);

    await this.lookUpBatch(planned);

    for (const p of planned) {
      try {
        this.decide(p, results);
      } catch (error) {
        results[p.index] = { status: 'failed', error: asLedgersyncError(error, 'record') };
      }
    }
    await this.buildLineUpdates(planned, results);

    const toSend = planned.filter((p) => p.fn && results[p.index] === undefined);
    const chunks: Planned[][] = [];
    for (let i = 0; i < toSend.length; i += this.settings.functionsPerRequest) chunks.push(toSend.slice(i, i + this.settings.functionsPerRequest));
    await Promise.all(chunks.map((chunk) => this.send(chunk, results, ctx.runId)));
    await this.nameWhatIsApplied(planned, results);

    return results.map(
      (r, i) => r ?? { status: 'failed', error: new LedgersyncError('intacct_no_result', 'system', `no result for record ${batch[i]!.sourceId}`) },
    );
  }

  /**
   * Records the sink answers at once (actions it does not offer, a missing natural key, a value no XML
   * request can carry), and the others to look up.
   */
  private prepare(batch: readonly SinkRecord[], results: (SinkResult | undefined)[]): Planned[] {
    const planned: Planned[] = [];
    batch.forEach((record, index) => {
      const spec = specFor(this.settings.specs, record.object);
      if (record.action !== 'upsert' && !(record.action === 'void' && (spec.voiding || spec.voidByHand))) {
        results[index] =
          record.object === 'CUSTOMER'
            ? { status: 'skipped', reason: 'customers are created and updated in Intacct, never deleted or voided' }
            : {
                status: 'failed',
                error: new LedgersyncError(
                  'intacct_action_unsupported',
                  'record',
                  `${record.object} ${record.sourceId}: '${record.action}' is not supported by the Sage Intacct sink`,
                  {
                    fix: `map deleted or voided source records to _action "skip" (or "void" for ${Object.entries(this.settings.specs)
                      .filter(([, s]) => s.voiding)
                      .map(([name]) => name)
                      .join(', ')}), or reverse them in Intacct`,
                  },
                ),
              };
        return;
      }
      const key = naturalKeyOf(spec, record.data);
      if (!key) {
        results[index] = {
          status: 'failed',
          error: new LedgersyncError('intacct_natural_key_missing', 'record', `${record.object} ${record.sourceId}: the mapping gave no ${spec.naturalKey}`, {
            fix: `map ${spec.naturalKey}: it identifies the record in Intacct`,
          }),
        };
        return;
      }
      const forbidden = forbiddenCharacterError(record, key);
      if (forbidden) {
        results[index] = { status: 'failed', error: forbidden };
        return;
      }
      planned.push({ index, record, spec, key });
    });
    return planned;
  }

  /**
   * The ledger holds this record's Intacct id. A write of it still in doubt was then an update,
   * whether it landed or not: it is sent again, as updates only set values. Only a create in doubt
   * (no id yet) is looked up and adopted.
   */
  private knownTarget(p: Planned): boolean {
    return Boolean(p.record.previous?.targetId);
  }

  /**
   * A changed record the ledger holds, of a document no update corrects (a payment, a credit memo, a
   * bill, an application): its dead letter says to reverse the document in Intacct and re-run, so
   * each run looks it up again: by the ledger's RECORDNO (an application through its payment's
   * details), then, once that is reversed or gone, by its key, as a create.
   */
  private repostable(p: Planned): boolean {
    return this.knownTarget(p) && !isVoid(p) && !p.spec.update && Boolean(p.spec.voidByHand || (p.spec.voiding && p.spec.lookup));
  }

  /** A void looked up by the ledger's RECORDNO, which Intacct holds reversed or no more. */
  private voidOfReplacedDocument(p: Planned): boolean {
    if (!isVoid(p) || !p.spec.lookup || !p.record.previous?.targetId || p.replaces) return false;
    return p.state === undefined || p.state === this.settings.voidStates.voided;
  }

  private isReversed(row: Record<string, string>): boolean {
    const state = row['STATE'];
    return state === this.settings.voidStates.voided || state === this.settings.voidStates.voiding;
  }

  /**
   * The look-ups of a batch: every record not in the ledger, every void and every repostable record in
   * one request; then, in a second request only when some are, by their key, the repostable records
   * and the voids whose document (the ledger's RECORDNO) Intacct holds reversed or no more: a new
   * version posted since (its ledger write lost to a kill or an answer never confirmed) stands there.
   */
  private async lookUpBatch(planned: Planned[]): Promise<void> {
    await this.lookUp(planned.filter((p) => isVoid(p) || !this.knownTarget(p) || this.repostable(p)));
    for (const p of planned) if (this.voidOfReplacedDocument(p)) p.replaces = p.record.previous!.targetId!;
    const replacing = planned.filter((p) => p.replaces);
    if (replacing.length > 0) await this.lookUp(replacing);
  }

  /**
   * One request of readByQuery functions finding the batch's records in Intacct, object by object:
   * an upsert not in the ledger by its natural key (an application through its payment's details);
   * a void by the RECORDNO the ledger or an earlier look-up holds, else by its natural key, which
   * also finds a create whose answer was lost. Objects that can be voided are read with their STATE:
   * a reversing transaction (STATE Reversal) is never the document a void takes back.
   */
  private async lookUp(planned: Planned[]): Promise<void> {
    const groups = new Map<string, { object: string; field: string; fields: string; members: { p: Planned; value: string }[] }>();
    for (const p of planned) {
      const by = this.lookupOf(p);
      if (!by) continue;
      const id = `${by.object}.${by.field}`;
      const group = groups.get(id) ?? { object: by.object, field: by.field, fields: by.fields, members: [] };
      group.members.push({ p, value: by.value });
      groups.set(id, group);
    }
    const queries: { fn: GatewayFunction; object: string; field: string; members: { p: Planned; value: string }[] }[] = [];
    for (const { object, field, fields, members } of groups.values()) {
      for (let i = 0; i < members.length; i += IN_LIST_MAX) {
        const slice = members.slice(i, i + IN_LIST_MAX);
        const values = [...new Set(slice.map((m) => m.value))];
        queries.push({
          fn: readByQuery(object, inList(field, values), fields, READ_BY_QUERY_MAX_PAGE_SIZE, `lookup-${queries.length}`),
          object,
          field,
          members: slice,
        });
      }
    }
    const rowSets = await this.gateway.readAll(queries.map((q) => q.fn));
    for (const [i, { object, field, members }] of queries.entries()) {
      const rows = rowSets[i]!;
      for (const { p, value } of members) {
        if (object === 'ARPYMTDETAIL') {
          const held = detailsOnItsInvoices(p, rows);
          if (held.length > 0) p.held = held;
          else delete p.held;
          if (isVoid(p) ? held.length > 0 : isApplied(p, rows)) p.recordNo = p.key;
        } else if (isVoid(p)) {
          // Under one key, a document that stands comes before one reversed (by hand, with a new version posted since).
          const found = rows.filter((r) => r[field] === value && r['STATE'] !== this.settings.voidStates.voiding);
          const row = found.find((r) => !this.isReversed(r)) ?? found[0];
          if (row?.['RECORDNO']) {
            p.recordNo = row['RECORDNO'];
            p.state = row['STATE'] ?? '';
          }
        } else if (this.repostable(p) && !p.replaces) {
          const row = rows.find((r) => r[field] === value);
          if (!row || this.isReversed(row)) p.replaces = value;
        } else {
          // A reversed document (and its reversing transaction) is no create that landed: the one that stands is.
          const found = rows.filter((r) => r[field] === value);
          const row = found.find((r) => !this.isReversed(r));
          const reversed = found.find((r) => this.isReversed(r) && r['STATE'] !== this.settings.voidStates.voiding);
          if (reversed?.['RECORDNO']) p.reversedUnderKey = reversed['RECORDNO'];
          if (row?.['RECORDNO']) {
            p.recordNo = row['RECORDNO'];
            const total = row['TRX_TOTALENTERED'];
            if (total) p.heldTotal = total;
          }
        }
      }
    }
  }

  /** How a record is looked up: an application (to write or to void) through its payment's details, any other by its key. */
  private lookupOf(p: Planned): LookupOf | undefined {
    const lookup = p.spec.lookup;
    if (!lookup) {
      return isVoid(p) && !p.spec.voidByHand
        ? undefined
        : { object: 'ARPYMTDETAIL', field: 'PAYMENTKEY', fields: 'RECORDNO,PAYMENTKEY,RECORDKEY,TRX_PAYMENTAMOUNT', value: p.key };
    }
    // A document no update can correct is read with its total, which a create in doubt is compared by:
    // TRX_TOTALENTERED, in the document's own currency as mapped (TOTALENTERED is the base currency's).
    const fields = `RECORDNO,${lookup.field}${p.spec.voiding ? ',STATE' : ''}${p.spec.update ? '' : ',TRX_TOTALENTERED'}`;
    // By the RECORDNO a look-up found or the ledger holds, unless Intacct holds that one reversed or
    // no more (`replaces`): then by the key, under which a new version may stand.
    const known = (isVoid(p) ? (p.recordNo ?? p.record.previous?.targetId) : this.repostable(p) ? p.record.previous?.targetId : undefined) ?? undefined;
    const recordNo = known !== p.replaces ? known : undefined;
    return recordNo
      ? { object: lookup.object, field: 'RECORDNO', fields, value: recordNo }
      : { object: lookup.object, field: lookup.field, fields, value: p.key };
  }

  private controlIdOf(p: Planned): string {
    return `${p.record.object}-${digest(p.record.stream + '\u0000' + p.record.sourceId, 16)}-${p.record.contentHash.slice(0, 12)}`;
  }

  private decide(p: Planned, results: (SinkResult | undefined)[]): void {
    const { record, spec } = p;
    const controlId = this.controlIdOf(p);
    if (isVoid(p)) {
      this.decideVoid(p, controlId, results);
      return;
    }
    if (this.knownTarget(p) && !p.replaces && !spec.voidByHand) {
      if (!spec.update) {
        results[p.index] = { status: 'failed', error: changedAfterPosting(p) };
        return;
      }
      const recordNo = spec.targetId === 'recordNo' ? record.previous!.targetId! : (record.previous!.targetVersion ?? '');
      this.decideUpdate(p, controlId, recordNo);
      return;
    }
    if (p.recordNo) {
      const targetId = spec.targetId === 'naturalKey' ? p.key : p.recordNo;
      const inDoubt = (Boolean(record.previous?.pendingWrite) || Boolean(p.replaces)) && record.object !== 'CUSTOMER';
      if (spec.update) {
        // A create in doubt that landed is not adopted as it stands: the record may have changed since
        // (a line added in Chargebee). It is updated to this version, which a same version leaves as is.
        if (inDoubt) p.completesCreate = true;
        this.decideUpdate(p, controlId, p.recordNo);
        return;
      }
      results[p.index] = inDoubt
        ? createdInDoubt(p, targetId)
        : { status: 'skipped', reason: `${record.object} ${p.key} is already in Intacct`, targetId, targetVersion: p.recordNo };
      return;
    }
    if (p.held) {
      results[p.index] = { status: 'failed', error: appliedDifferently(p, p.held) };
      return;
    }
    p.op = 'create';
    p.fn = { controlId, ...createBody(spec, record.object, record.data) };
  }

  /** An update; one addressing lines by number is built once they are counted (`buildLineUpdates`). */
  private decideUpdate(p: Planned, controlId: string, recordNo: string): void {
    p.op = 'update';
    p.recordNo = recordNo;
    if (!p.spec.update?.existingLines) p.fn = { controlId, ...updateBody(p.spec, p.record.object, p.record.data, recordNo) };
  }

  /**
   * The updates that address lines by number, built from the lines each document holds in Intacct,
   * read for the whole batch in one request: lines it holds are replaced, the others added; a new
   * version with fewer lines is the record's dead letter (updateBody).
   */
  private async buildLineUpdates(planned: Planned[], results: (SinkResult | undefined)[]): Promise<void> {
    const updates = planned.filter((p) => p.op === 'update' && p.spec.update?.existingLines && results[p.index] === undefined);
    const bySource = new Map<string, Planned[]>();
    for (const p of updates) {
      const source = p.spec.update!.existingLines!;
      const group = `${source.object}.${source.documentField}`;
      bySource.set(group, [...(bySource.get(group) ?? []), p]);
    }
    for (const members of bySource.values()) {
      const counts = await countDocumentLines(
        this.gateway,
        members[0]!.spec.update!.existingLines!,
        members.map((p) => p.recordNo!),
      );
      for (const p of members) {
        try {
          // Every invoice has a line, so a RECORDNO with none found is no invoice and Intacct refuses the
          // update by its key: its count stays unknown (every line addressed by number) rather than 0,
          // which would send each line as a new one.
          p.fn = { controlId: this.controlIdOf(p), ...updateBody(p.spec, p.record.object, p.record.data, p.recordNo!, counts.get(p.recordNo!)) };
        } catch (error) {
          delete p.fn;
          results[p.index] = { status: 'failed', error: asLedgersyncError(error, 'record') };
        }
      }
    }
  }

  /**
   * A document voided at the source: one Intacct does not hold (never posted) or holds reversed
   * already (by a run whose answer was lost, or by hand) needs nothing; any other is reversed (an AR
   * adjustment deleted) through the RECORDNO the ledger or the look-up found.
   */
  private decideVoid(p: Planned, controlId: string, results: (SinkResult | undefined)[]): void {
    const { record, spec } = p;
    if (spec.voidByHand) {
      results[p.index] = p.recordNo
        ? { status: 'failed', error: voidByHand(p) }
        : { status: 'skipped', reason: `${record.object} ${p.key} (source record ${record.sourceId}) is not applied in Intacct: nothing to take back` };
      return;
    }
    if (p.state === undefined) {
      const where = record.previous?.targetId ? ` (RECORDNO ${record.previous.targetId} is gone)` : '';
      results[p.index] = { status: 'skipped', reason: `${record.object} ${p.key} is not in Intacct${where}: nothing to ${spec.voiding!.verb}` };
      return;
    }
    const recordNo = p.recordNo!;
    if (p.state === this.settings.voidStates.voided) {
      results[p.index] = {
        status: 'skipped',
        reason: `${record.object} ${p.key} (RECORDNO ${recordNo}) is reversed in Intacct already`,
        targetId: recordNo,
        targetVersion: recordNo,
      };
      return;
    }
    p.op = 'void';
    p.fn = { controlId, ...voidBody(spec, record.object, record.data, recordNo) };
  }

  private resultFor(p: Planned, result: FunctionResult): SinkResult {
    if (p.op === 'void') {
      const recordNo = p.recordNo!;
      return result.status === 'success'
        ? { status: 'updated', targetId: recordNo, targetVersion: recordNo }
        : { status: 'failed', error: voidRefused(p, result.errors) };
    }
    if (result.status !== 'success') {
      const refused = recordRejected(p.record.object, p.key, p.record.sourceId, result.errors);
      return { status: 'failed', error: p.op === 'create' && p.reversedUnderKey ? numberHeldByReversal(p, refused) : refused };
    }
    // Only a RECORDNO the look-up found stands in for a key missing from the answer; an update of the
    // ledger's record falls back to the natural key.
    const recordNo = keyOf(result) ?? (this.knownTarget(p) ? undefined : p.recordNo) ?? p.key;
    const targetId = p.spec.targetId === 'naturalKey' ? p.key : p.record.object === 'ARPAYMENT_APPLY' ? p.key : recordNo;
    return { status: p.op === 'update' && !p.completesCreate ? 'updated' : 'created', targetId, targetVersion: recordNo };
  }

  /**
   * Sends one request. Its control id comes from the records' content; a resend after a duplicate
   * adds this run's id, so a record refused in one run can be sent again in the next. When the
   * answer is lost, the request's documents are looked up before anything is sent again: creates
   * found by their key are adopted, the rest go again (under the same control id while nothing was
   * found, which Intacct refuses to run twice).
   */
  private async send(chunk: Planned[], results: (SinkResult | undefined)[], runId: string): Promise<void> {
    let pending = chunk;
    let resends = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const functions = pending.map((p) => p.fn!);
      const controlId = requestControlId(functions) + (resends > 0 ? `-${digest(runId, 8)}-${resends + 1}` : '');
      let answer: WriteAnswer;
      try {
        answer = await this.gateway.executeWrite(functions, { controlId });
      } catch (error) {
        if (!(error instanceof DuplicateControlIdError) || resends >= 2) throw error;
        // This exact request reached Intacct before (a lost answer, a resumed run, a retried dead
        // letter): a document it created is found by its key; anything else is sent again under a new
        // control id (an update repeats harmlessly; a create that failed back then may pass now).
        this.log.info(`request ${controlId} was already processed by Intacct; looking its ${pending.length} record(s) up`);
        resends++;
        pending = await this.adoptLanded(pending, results);
        continue;
      }
      if (answer.outcome === 'answered') {
        pending.forEach((p, i) => {
          results[p.index] = this.resultFor(p, answer.results[i]!);
        });
        return;
      }
      if (attempt >= this.gateway.maxAttempts) {
        for (const p of pending) results[p.index] = { status: 'failed', error: stillInDoubt(answer.error, p, attempt) };
        return;
      }
      this.log.warn(`request ${controlId} may have run (${answer.error.message}); looking its ${pending.length} record(s) up before sending anything again`);
      await this.gateway.pause(attempt);
      pending = await this.adoptLanded(pending, results);
    }
  }

  /**
   * Reversals of invoices Intacct refused: each dead letter names the payments and credit memos still
   * applied to its invoice (their payment details, read for the batch in one request), which are what
   * a person reverses first. A failed read leaves the letters as they are.
   */
  private async nameWhatIsApplied(planned: Planned[], results: (SinkResult | undefined)[]): Promise<void> {
    const refused = planned.filter((p) => {
      const result = results[p.index];
      return p.op === 'void' && p.spec.voiding?.function === 'reverse_invoice' && result?.status === 'failed' && result.error.kind === 'record';
    });
    if (refused.length === 0) return;
    const keys = [...new Set(refused.map((p) => p.recordNo!))];
    const queries: GatewayFunction[] = [];
    for (let i = 0; i < keys.length; i += IN_LIST_MAX) {
      const slice = keys.slice(i, i + IN_LIST_MAX);
      queries.push(
        readByQuery(
          'ARPYMTDETAIL',
          inList('RECORDKEY', slice),
          'RECORDNO,PAYMENTKEY,RECORDKEY,TRX_PAYMENTAMOUNT',
          READ_BY_QUERY_MAX_PAGE_SIZE,
          `applied-${queries.length}`,
        ),
      );
    }
    let rows: Record<string, string>[];
    try {
      rows = (await this.gateway.readAll(queries)).flat();
    } catch (error) {
      this.log.warn(`could not read what is applied to ${keys.length} invoice(s) Intacct refused to reverse: ${asLedgersyncError(error, 'transient').message}`);
      return;
    }
    for (const p of refused) {
      const applied = rows.filter((r) => r['RECORDKEY'] === p.recordNo);
      const result = results[p.index];
      if (applied.length === 0 || result?.status !== 'failed') continue;
      const { error } = result;
      const named = applied
        .map((r) => `AR payment or credit memo RECORDNO ${r['PAYMENTKEY']} (${r['TRX_PAYMENTAMOUNT']}, payment detail RECORDNO ${r['RECORDNO']})`)
        .join(', ');
      results[p.index] = {
        status: 'failed',
        error: new LedgersyncError(error.code, error.kind, error.message, {
          details: { ...error.details, appliedBy: applied },
          fix: `${error.fix ?? ''} Still applied to invoice ${p.key} (RECORDNO ${p.recordNo}): ${named}.`.trim(),
        }),
      };
    }
  }

  /** Looks up the creates of a request that may have run: those found are adopted; returns what must be sent again. */
  private async adoptLanded(chunk: Planned[], results: (SinkResult | undefined)[]): Promise<Planned[]> {
    const creates = chunk.filter((p) => p.op === 'create');
    for (const p of creates) delete p.recordNo;
    // A reversal that landed reads Reversed; a deleted adjustment is gone. Neither is sent again.
    const voids = chunk.filter((p) => p.op === 'void');
    for (const p of voids) delete p.state;
    await this.lookUp([...creates, ...voids]);
    // An update that landed added its new lines: counted again, they are replaced, not added twice.
    await this.buildLineUpdates(chunk, results);
    const again: Planned[] = [];
    for (const p of chunk) {
      if (results[p.index] !== undefined) continue;
      if (p.op === 'void' && (p.state === undefined || p.state === this.settings.voidStates.voided)) {
        results[p.index] = { status: 'updated', targetId: p.recordNo!, targetVersion: p.recordNo! };
      } else if (p.op === 'create' && p.recordNo) {
        const targetId = p.spec.targetId === 'naturalKey' ? p.key : p.recordNo;
        results[p.index] = { status: 'created', targetId, targetVersion: p.recordNo };
      } else again.push(p);
    }
    return again;
  }
}
