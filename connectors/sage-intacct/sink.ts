/**
 * The Sage Intacct sink: each mapped record is one gateway function (create_invoice,
 * apply_arpayment, `<create><CUSTOMER>`…). A batch costs one lookup request (every natural key
 * of the batch, object by object, in one request of readByQuery functions), one request counting
 * the lines of the invoices it updates, and one write request per `functions_per_request` records,
 * sent under `uniqueid` with control ids derived from the records' content, so neither a retried
 * request nor a resumed run posts a document twice.
 */
import { createHash } from 'node:crypto';
import { LedgersyncError, asLedgersyncError } from '../../engine/errors.js';
import type { Logger } from '../../engine/log.js';
import type { PlannedWrite, PlanningRecord, ReferenceAnswer, ReferenceQuery, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { sameDecimal } from '../../domain/money/decimal.js';
import { countDocumentLines } from './document-lines.js';
import { amountValue, createBody, naturalKeyOf, specFor, takeBackBody, updateBody, type ObjectSpec } from './documents.js';
import { intacctError, recordRejected } from './errors.js';
import { DuplicateControlIdError, readByQuery, requestControlId, type IntacctGateway, type WriteAnswer } from './gateway.js';
import { READ_BY_QUERY_MAX_PAGE_SIZE, inList } from './query.js';
import { checkIntacctReferences } from './references.js';
import { keyOf, type FunctionResult, type GatewayFunction, type IntacctError } from './xml.js';
import { describeCharacter, forbiddenValueIn } from './xml-characters.js';

export interface IntacctSinkSettings {
  /** Functions sent in one request (descriptor `settings.functions_per_request`). */
  functionsPerRequest: number;
  /** Largest batch the runner hands over (descriptor `max_batch`). */
  maxBatchSize: number;
  /** The objects the sink writes, with their natural keys and look-ups (`objectSpecsOf`). */
  specs: Readonly<Record<string, ObjectSpec>>;
}

/** What a lookup found of a record already in Intacct. */
interface Existing {
  recordNo: string;
}

/** What the look-up of a document to take back found: its RECORDNO and STATE, or nothing (null). */
type TakeBackTarget = { recordNo: string; state: string } | null;

interface Planned {
  index: number;
  record: SinkRecord;
  spec: ObjectSpec;
  key: string;
  op?: 'create' | 'update' | 'void';
  existing?: Existing;
  /** For a void: the document found (undefined until looked up). */
  target?: TakeBackTarget;
  /** For an update: the RECORDNO addressed (the key attribute). */
  updateOf?: string;
  fn?: GatewayFunction;
}

/** STATE of a document Intacct has reversed, and of the reversing transaction it made. */
const REVERSED = 'Reversed';
const REVERSAL = 'Reversal';

const isVoid = (p: Planned) => p.record.action === 'void';

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** Items of an application with the amounts Intacct receives, to compare with its payment details. */
function applicationItems(data: Record<string, unknown>): { invoicekey: string; amount: string }[] {
  const items = data['arpaymentitems'];
  const list = Array.isArray(items) ? items : items ? [items] : [];
  return list.map((i) => {
    const item = i as Record<string, unknown>;
    return { invoicekey: String(item['invoicekey'] ?? ''), amount: amountValue(item['amount'], 'arpaymentitems.amount') };
  });
}

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
   * What `write` would do, from the same checks and the same look-up requests (every natural key of
   * the batch not in the ledger, one readByQuery per object; the lines of the invoices it would
   * update) and nothing else: the gateway functions
   * are built, so a record Intacct's rules would refuse here fails here too, but none is sent.
   */
  async plan(batch: readonly PlanningRecord[]): Promise<PlannedWrite[]> {
    await this.gateway.ensureSession();
    const results: (SinkResult | undefined)[] = new Array(batch.length);
    const planned = this.prepare(batch, results);
    await this.findExisting(planned.filter((p) => !isVoid(p) && !this.knownTarget(p)));
    await this.findTakeBackTargets(planned.filter(isVoid));
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
      if (p?.op === 'void') return { action: 'void', targetId: p.existing!.recordNo, note: `${p.spec.takeBack!.function} of RECORDNO ${p.existing!.recordNo}` };
      if (result?.status === 'skipped')
        return result.targetId ? { action: 'adopt', targetId: result.targetId, note: result.reason } : { action: 'skip', note: result.reason };
      if (result?.status === 'created') return { action: 'adopt', targetId: result.targetId, note: 'an interrupted run wrote it' };
      if (p?.op === 'update') {
        return p.existing && !this.knownTarget(p)
          ? { action: 'update', targetId: p.existing.recordNo, note: `already in Intacct (${p.spec.naturalKey} ${p.key}): updated in place` }
          : { action: 'update', ...(record.previous?.targetId ? { targetId: record.previous.targetId } : {}) };
      }
      return { action: 'create' };
    });
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    const results: (SinkResult | undefined)[] = new Array(batch.length);
    const planned = this.prepare(batch, results);

    await this.findExisting(planned.filter((p) => !isVoid(p) && !this.knownTarget(p)));
    await this.findTakeBackTargets(planned.filter(isVoid));

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
      if (record.action !== 'upsert' && !(record.action === 'void' && spec.takeBack)) {
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
                      .filter(([, s]) => s.takeBack)
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

  /** One request of readByQuery functions for every record of the batch not known yet. */
  private async findExisting(planned: Planned[]): Promise<void> {
    if (!planned.length) return;
    const queries: { fn: GatewayFunction; apply: (rows: Record<string, string>[]) => void }[] = [];
    const byLookup = new Map<string, Planned[]>();
    for (const p of planned) {
      const lookup = p.spec.lookup;
      const group = lookup ? `${lookup.object}.${lookup.field}` : 'ARPYMTDETAIL.PAYMENTKEY';
      byLookup.set(group, [...(byLookup.get(group) ?? []), p]);
    }
    for (const [group, members] of byLookup) {
      const [object, field] = group.split('.') as [string, string];
      for (let i = 0; i < members.length; i += 100) {
        const slice = members.slice(i, i + 100);
        const keys = [...new Set(slice.map((p) => p.key))];
        const fields = object === 'ARPYMTDETAIL' ? 'RECORDNO,PAYMENTKEY,RECORDKEY,TRX_PAYMENTAMOUNT' : `RECORDNO,${field}`;
        queries.push({
          fn: readByQuery(object, inList(field, keys), fields, READ_BY_QUERY_MAX_PAGE_SIZE, `lookup-${queries.length}`),
          apply: (rows) => {
            for (const p of slice) {
              if (object === 'ARPYMTDETAIL') {
                const details = rows.filter((r) => r['PAYMENTKEY'] === p.key);
                let items: { invoicekey: string; amount: string }[] = [];
                try {
                  items = applicationItems(p.record.data);
                } catch {
                  // An unreadable amount is reported when the function is built; nothing to match here.
                }
                const applied =
                  items.length > 0 &&
                  items.every((item) => details.some((d) => d['RECORDKEY'] === item.invoicekey && sameDecimal(d['TRX_PAYMENTAMOUNT'] ?? '', item.amount)));
                if (applied) p.existing = { recordNo: p.key };
              } else {
                const row = rows.find((r) => r[field] === p.key);
                if (row?.['RECORDNO']) p.existing = { recordNo: row['RECORDNO'] };
              }
            }
          },
        });
      }
    }
    const results = await this.gateway.execute(queries.map((q) => q.fn));
    for (const [i, q] of queries.entries()) {
      const result = results[i]!;
      const page = this.gateway.readOrThrow(result, String(q.fn.body['object']), String(q.fn.body['query']));
      const rows = [...page.rows];
      if (page.numRemaining > 0) {
        for await (const more of this.gateway.query(String(q.fn.body['object']), String(q.fn.body['query']), String(q.fn.body['fields']))) rows.push(...more);
      }
      q.apply(rows);
    }
  }

  private controlIdOf(p: Planned): string {
    return `${p.record.object}-${digest(p.record.stream + '\u0000' + p.record.sourceId, 16)}-${p.record.contentHash.slice(0, 12)}`;
  }

  private decide(p: Planned, results: (SinkResult | undefined)[]): void {
    const { record, spec } = p;
    const controlId = this.controlIdOf(p);
    if (isVoid(p)) {
      this.decideTakeBack(p, controlId, results);
      return;
    }
    if (this.knownTarget(p)) {
      if (!spec.update) {
        results[p.index] = {
          status: 'failed',
          error: new LedgersyncError(
            'intacct_update_unsupported',
            'record',
            `${record.object} ${p.key} (source record ${record.sourceId}) changed after it was posted, and ${spec.immutable ?? 'Intacct cannot update it'}`,
            {
              details: { sourceId: record.sourceId, targetId: record.previous?.targetId },
              fix: 'correct the document in Intacct by hand (or reverse it and clear this record from the ledger), then resolve the dead letter',
            },
          ),
        };
        return;
      }
      const recordNo = spec.targetId === 'recordNo' ? record.previous!.targetId! : (record.previous!.targetVersion ?? '');
      this.decideUpdate(p, controlId, recordNo);
      return;
    }
    if (p.existing) {
      const targetId = spec.targetId === 'naturalKey' ? p.key : p.existing.recordNo;
      if (record.previous?.pendingWrite && record.object !== 'CUSTOMER') {
        // The interrupted run's write went through: adopt it rather than post it again.
        results[p.index] = { status: 'created', targetId, targetVersion: p.existing.recordNo };
        return;
      }
      if (!spec.update) {
        results[p.index] = { status: 'skipped', reason: `${record.object} ${p.key} is already in Intacct`, targetId, targetVersion: p.existing.recordNo };
        return;
      }
      this.decideUpdate(p, controlId, p.existing.recordNo);
      return;
    }
    p.op = 'create';
    p.fn = { controlId, ...createBody(spec, record.object, record.data) };
  }

  /** An update; one addressing lines by number is built once they are counted (`buildLineUpdates`). */
  private decideUpdate(p: Planned, controlId: string, recordNo: string): void {
    p.op = 'update';
    p.updateOf = recordNo;
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
        members.map((p) => p.updateOf!),
      );
      for (const p of members) {
        try {
          // No line found: the RECORDNO is no invoice (each has one), and Intacct refuses the key; meanwhile
          // every line is addressed by number, never added.
          p.fn = { controlId: this.controlIdOf(p), ...updateBody(p.spec, p.record.object, p.record.data, p.updateOf!, counts.get(p.updateOf!)) };
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
  private decideTakeBack(p: Planned, controlId: string, results: (SinkResult | undefined)[]): void {
    const { record, spec } = p;
    const takeBack = spec.takeBack!;
    const target = p.target;
    if (!target) {
      const where = record.previous?.targetId ? ` (RECORDNO ${record.previous.targetId} is gone)` : '';
      results[p.index] = { status: 'skipped', reason: `${record.object} ${p.key} is not in Intacct${where}: nothing to ${takeBack.verb}` };
      return;
    }
    if (target.state === REVERSED) {
      results[p.index] = {
        status: 'skipped',
        reason: `${record.object} ${p.key} (RECORDNO ${target.recordNo}) is reversed in Intacct already`,
        targetId: target.recordNo,
        targetVersion: target.recordNo,
      };
      return;
    }
    p.op = 'void';
    p.existing = { recordNo: target.recordNo };
    p.fn = { controlId, ...takeBackBody(spec, record.object, record.data, target.recordNo) };
  }

  /**
   * The documents the voids of a batch take back, in one request: by the RECORDNO the ledger (or an
   * earlier look-up) holds, else by natural key, which also finds a create whose answer was lost. A
   * reversing transaction (STATE Reversal) is never the document itself.
   */
  private async findTakeBackTargets(voids: Planned[]): Promise<void> {
    const byQuery = new Map<string, { object: string; field: string; members: Planned[] }>();
    for (const p of voids) {
      const lookup = p.spec.lookup;
      if (!lookup) continue;
      const recordNo = p.existing?.recordNo ?? p.record.previous?.targetId ?? undefined;
      const field = recordNo ? 'RECORDNO' : lookup.field;
      const group = byQuery.get(`${lookup.object}.${field}`) ?? { object: lookup.object, field, members: [] };
      group.members.push(p);
      byQuery.set(`${lookup.object}.${field}`, group);
    }
    const queries: { fn: GatewayFunction; field: string; lookupField: string; members: Planned[] }[] = [];
    for (const { object, field, members } of byQuery.values()) {
      const lookupField = members[0]!.spec.lookup!.field;
      for (let i = 0; i < members.length; i += 100) {
        const slice = members.slice(i, i + 100);
        const values = [...new Set(slice.map((p) => this.takeBackQueryValue(p, field)))];
        queries.push({
          fn: readByQuery(object, inList(field, values), `RECORDNO,${lookupField},STATE`, READ_BY_QUERY_MAX_PAGE_SIZE, `void-lookup-${queries.length}`),
          field,
          lookupField,
          members: slice,
        });
      }
    }
    if (!queries.length) return;
    const answers = await this.gateway.execute(queries.map((q) => q.fn));
    for (const [i, q] of queries.entries()) {
      const rows = await this.allRows(q.fn, answers[i]!);
      for (const p of q.members) {
        const value = this.takeBackQueryValue(p, q.field);
        const row = rows.find((r) => r[q.field] === value && r['STATE'] !== REVERSAL);
        p.target = row?.['RECORDNO'] ? { recordNo: row['RECORDNO'], state: row['STATE'] ?? '' } : null;
      }
    }
  }

  private takeBackQueryValue(p: Planned, field: string): string {
    return field === 'RECORDNO' ? (p.existing?.recordNo ?? p.record.previous?.targetId ?? '') : p.key;
  }

  /** Every row of a readByQuery answer, reading on while Intacct says more remain. */
  private async allRows(fn: GatewayFunction, result: FunctionResult): Promise<Record<string, string>[]> {
    const object = String(fn.body['object']);
    const query = String(fn.body['query']);
    const page = this.gateway.readOrThrow(result, object, query);
    const rows = [...page.rows];
    if (page.numRemaining > 0) for await (const more of this.gateway.query(object, query, String(fn.body['fields']))) rows.push(...more);
    return rows;
  }

  private resultFor(p: Planned, result: FunctionResult): SinkResult {
    if (p.op === 'void') {
      const recordNo = p.existing!.recordNo;
      return result.status === 'success'
        ? { status: 'updated', targetId: recordNo, targetVersion: recordNo }
        : { status: 'failed', error: takeBackRefused(p, result.errors) };
    }
    if (result.status !== 'success') return { status: 'failed', error: recordRejected(p.record.object, p.key, p.record.sourceId, result.errors) };
    const recordNo = keyOf(result) ?? p.existing?.recordNo ?? p.key;
    const targetId = p.spec.targetId === 'naturalKey' ? p.key : p.record.object === 'ARPAYMENT_APPLY' ? p.key : recordNo;
    return { status: p.op === 'update' ? 'updated' : 'created', targetId, targetVersion: recordNo };
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

  /** Looks up the creates of a request that may have run: those found are adopted; returns what must be sent again. */
  private async adoptLanded(chunk: Planned[], results: (SinkResult | undefined)[]): Promise<Planned[]> {
    const creates = chunk.filter((p) => p.op === 'create');
    for (const p of creates) delete p.existing;
    if (creates.length) await this.findExisting(creates);
    // A reversal that landed reads Reversed; a deleted adjustment is gone. Neither is sent again.
    const voids = chunk.filter((p) => p.op === 'void');
    for (const p of voids) delete p.target;
    await this.findTakeBackTargets(voids);
    // An update that landed added its new lines: counted again, they are replaced, not added twice.
    await this.buildLineUpdates(chunk, results);
    const again: Planned[] = [];
    for (const p of chunk) {
      if (results[p.index] !== undefined) continue;
      if (p.op === 'void' && (p.target === null || p.target?.state === REVERSED)) {
        results[p.index] = { status: 'updated', targetId: p.existing!.recordNo, targetVersion: p.existing!.recordNo };
      } else if (p.op === 'create' && p.existing) {
        const targetId = p.spec.targetId === 'naturalKey' ? p.key : p.existing.recordNo;
        results[p.index] = { status: 'created', targetId, targetVersion: p.existing.recordNo };
      } else again.push(p);
    }
    return again;
  }
}

/**
 * A mapped value holding a character XML 1.0 forbids: Intacct could not parse a request carrying it
 * and would refuse every record of it, so this record is refused alone, before its look-up.
 */
function forbiddenCharacterError(record: SinkRecord, key: string): LedgersyncError | undefined {
  const found = forbiddenValueIn(record.data);
  if (!found) return undefined;
  return new LedgersyncError(
    'intacct_forbidden_character',
    'record',
    `${record.object} ${key} (source record ${record.sourceId}): ${found.path} holds ${describeCharacter(found.codePoint)} at character ${found.position + 1}, which XML 1.0 forbids: Sage Intacct cannot read a request that holds it`,
    {
      details: { sourceId: record.sourceId, object: record.object, field: found.path, codePoint: found.codePoint, position: found.position },
      fix: `remove the character from the source record, or strip such characters in the mapping of ${found.path}: $replace(<its expression>, /[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]/, ''); the record is sent again on the next run`,
    },
  );
}

/** A request still unanswered after the retry policy: its records stay pending, and the next run looks them up first. */
function stillInDoubt(error: LedgersyncError, p: Planned, attempts: number): LedgersyncError {
  return new LedgersyncError(
    error.code,
    error.kind === 'record' ? 'transient' : error.kind,
    `${p.record.object} ${p.key} (source record ${p.record.sourceId}) may have been written and is still unconfirmed after ${attempts} attempts: ${error.message}`,
    {
      details: error.details,
      cause: error,
      mayHaveSucceeded: true,
      fix: 'Intacct or the network in front of it is failing; the next run looks the record up before writing it again',
    },
  );
}

/** Fixes for a take-back Intacct refused, by object: what a person does in Intacct before the record is retried. */
const takeBackFixes: Readonly<Record<string, (key: string, recordNo: string) => string>> = {
  ARINVOICE: (key, recordNo) =>
    `if the payments applied to Intacct invoice ${key} (RECORDNO ${recordNo}) were voided in Chargebee too, nothing: this run reverses them after the invoices, and the next run reverses the invoice; otherwise reverse its payments and credits in Intacct first (Accounts Receivable > Posted payments > Reverse), or the invoice there by hand. The record is retried on the next run, and one found reversed is settled`,
  ARPAYMENT: (key, recordNo) =>
    `reverse AR payment ${key} (RECORDNO ${recordNo}) in Intacct by hand (Accounts Receivable > Posted payments > Reverse), dated in an open period; the record is retried on the next run, and one found reversed is settled`,
  ARADJUSTMENT: (key, recordNo) =>
    `reverse the applications of credit memo ${key} (RECORDNO ${recordNo}) in Intacct first, or delete it there by hand; the record is retried on the next run, and one found gone is settled`,
};

/** Intacct refused to take back a document voided at the source: the dead letter names the document and what to do there. */
function takeBackRefused(p: Planned, errors: readonly IntacctError[]): LedgersyncError {
  const { record, spec, key } = p;
  const recordNo = p.existing!.recordNo;
  const takeBack = spec.takeBack!;
  const aborted = errors.length > 0 && errors.every((e) => e.errorno === 'BL01001973' || e.errorno === 'XL03000009');
  return intacctError(
    aborted ? 'transient' : 'record',
    `Sage Intacct refused to ${takeBack.verb} ${record.object} ${key} (RECORDNO ${recordNo}, ${takeBack.function}), which source record ${record.sourceId} voided`,
    errors,
    { sourceId: record.sourceId, object: record.object, naturalKey: key, recordNo },
    (takeBackFixes[record.object] ?? ((k: string, n: string) => `${takeBack.verb} ${record.object} ${k} (RECORDNO ${n}) in Intacct by hand`))(key, recordNo),
  );
}
