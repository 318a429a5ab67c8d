/**
 * The subset of QBO's SQL-like query language the fake answers:
 * `select * | count(*) | f1, f2 from Entity [where F = 'v' | F in ('a', 'b') | F like '%v%' [and …]]
 *  [orderby F [asc|desc]] [startposition N] [maxresults M]`. Strings are single-quoted with `\'` escapes.
 */
export interface QueryCondition {
  field: string;
  op: '=' | 'in' | 'like' | '>' | '<' | '>=' | '<=';
  values: string[];
}

export interface ParsedQuery {
  entity: string;
  fields: '*' | 'count' | string[];
  where: QueryCondition[];
  orderBy?: { field: string; desc: boolean };
  startPosition: number;
  maxResults: number;
}

export class QueryError extends Error {}

const tokenPattern = /\s*(?:'((?:\\.|[^'\\])*)'|(\(|\)|,|\*|>=|<=|=|<|>)|([A-Za-z_][\w.]*|\d+))/y;

interface Token {
  kind: 'string' | 'punct' | 'word';
  text: string;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let pos = 0;
  while (pos < query.length) {
    if (/^\s*$/.test(query.slice(pos))) break;
    tokenPattern.lastIndex = pos;
    const m = tokenPattern.exec(query);
    if (!m) throw new QueryError(`Error parsing query at position ${pos}: ${query.slice(pos, pos + 20)}`);
    if (m[1] !== undefined) tokens.push({ kind: 'string', text: m[1].replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) tokens.push({ kind: 'punct', text: m[2] });
    else tokens.push({ kind: 'word', text: m[3]! });
    pos = tokenPattern.lastIndex;
  }
  return tokens;
}

/** `true` / `false` unquoted, as QBO writes boolean conditions (`where Active in (true, false)`). */
function isBoolean(token: Token): boolean {
  return token.kind === 'word' && /^(true|false)$/i.test(token.text);
}

export function parseQuery(query: string): ParsedQuery {
  const tokens = tokenize(query);
  let i = 0;
  const peek = () => tokens[i];
  const next = (): Token => {
    const t = tokens[i++];
    if (!t) throw new QueryError('Error parsing query: unexpected end');
    return t;
  };
  const keyword = (word: string) => {
    const t = peek();
    if (t?.kind === 'word' && t.text.toLowerCase() === word) {
      i++;
      return true;
    }
    return false;
  };
  const expect = (word: string) => {
    if (!keyword(word)) throw new QueryError(`Error parsing query: expected ${word} near ${peek()?.text ?? 'end'}`);
  };
  const expectThen = (word: string): true => {
    expect(word);
    return true;
  };

  expect('select');
  let fields: ParsedQuery['fields'];
  if (peek()?.text === '*') {
    i++;
    fields = '*';
  } else if (peek()?.text.toLowerCase() === 'count') {
    i++;
    if (next().text !== '(' || next().text !== '*' || next().text !== ')') throw new QueryError('Error parsing query: count(*) expected');
    fields = 'count';
  } else {
    const list: string[] = [next().text];
    while (peek()?.text === ',') {
      i++;
      list.push(next().text);
    }
    fields = list;
  }
  expect('from');
  const entity = next().text;
  const where: QueryCondition[] = [];
  if (keyword('where')) {
    do {
      const field = next();
      if (field.kind !== 'word') throw new QueryError(`Error parsing query: field expected, got ${field.text}`);
      const opToken = next();
      const op = opToken.text.toLowerCase();
      if (op === 'in') {
        if (next().text !== '(') throw new QueryError('Error parsing query: ( expected after in');
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v.kind !== 'string' && !isBoolean(v)) throw new QueryError(`Error parsing query: quoted value expected, got ${v.text}`);
          values.push(v.kind === 'string' ? v.text : v.text.toLowerCase());
          const sep = next();
          if (sep.text === ')') break;
          if (sep.text !== ',') throw new QueryError('Error parsing query: , or ) expected');
        }
        where.push({ field: field.text, op: 'in', values });
      } else if (['=', 'like', '>', '<', '>=', '<='].includes(op)) {
        const v = next();
        if (v.kind !== 'string' && !(op === '=' && isBoolean(v))) throw new QueryError(`Error parsing query: quoted value expected, got ${v.text}`);
        where.push({ field: field.text, op: op as QueryCondition['op'], values: [v.kind === 'string' ? v.text : v.text.toLowerCase()] });
      } else {
        throw new QueryError(`Error parsing query: operator ${opToken.text} not supported`);
      }
    } while (keyword('and'));
  }
  let orderBy: ParsedQuery['orderBy'];
  if (keyword('orderby') || (keyword('order') && expectThen('by'))) {
    const field = next().text;
    const desc = keyword('desc');
    if (!desc) keyword('asc');
    orderBy = { field, desc };
  }
  let startPosition = 1;
  let maxResults = 100;
  for (;;) {
    if (keyword('startposition')) startPosition = Number(next().text);
    else if (keyword('maxresults')) maxResults = Number(next().text);
    else break;
  }
  if (i < tokens.length) throw new QueryError(`Error parsing query: unexpected ${peek()?.text}`);
  if (!Number.isInteger(startPosition) || startPosition < 1) throw new QueryError('startposition must be a positive integer');
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) throw new QueryError('maxresults must be between 1 and 1000');
  return { entity, fields, where, ...(orderBy ? { orderBy } : {}), startPosition, maxResults };
}

/** Reads a possibly dotted field (`MetaData.LastUpdatedTime`, `CustomerRef`) as QBO compares it. */
export function fieldValue(entity: Record<string, unknown>, field: string): string | undefined {
  let value: unknown = entity;
  for (const part of field.split('.')) {
    if (value && typeof value === 'object') value = (value as Record<string, unknown>)[part];
    else return undefined;
  }
  if (value && typeof value === 'object' && 'value' in value) value = (value as { value: unknown }).value;
  return value === undefined || value === null ? undefined : String(value);
}

export function matches(entity: Record<string, unknown>, condition: QueryCondition): boolean {
  const v = fieldValue(entity, condition.field);
  if (v === undefined) return false;
  const [first = ''] = condition.values;
  switch (condition.op) {
    case '=':
      return v === first;
    case 'in':
      return condition.values.includes(v);
    case 'like': {
      const re = new RegExp(
        '^' +
          first
            .split('%')
            .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*') +
          '$',
        'i',
      );
      return re.test(v);
    }
    case '>':
      return v > first;
    case '<':
      return v < first;
    case '>=':
      return v >= first;
    case '<=':
      return v <= first;
  }
}
