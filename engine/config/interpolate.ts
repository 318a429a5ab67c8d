/**
 * `${VAR}` and `${VAR:-default}` in YAML string values, applied after parsing so that source
 * positions stay right. `$${` writes a literal `${`.
 *
 * Hand-written because the substitution libraries (envsubst and its ports, dotenv-expand) work on
 * whole text before parsing and report no position; here every reference keeps its offset, so an
 * unset variable is reported at its file:line:col.
 */

export interface VariableReference {
  name: string;
  /** Default text after `:-`, when given (may be empty). */
  fallback?: string;
  /** Index of the `$` in the raw value. */
  start: number;
  /** Whether the environment had no value and no default was given. */
  unset: boolean;
}

export interface Interpolated {
  value: string;
  /** Index in the raw value of each UTF-16 unit of `value`, plus the end. */
  rawIndex: number[];
  references: VariableReference[];
  /** The raw value is exactly one `${VAR}` / `${VAR:-default}` and nothing else. */
  whole: boolean;
}

const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Substitutes environment variables. An unset variable without default becomes `placeholder(name)`
 * and is reported in `references` with `unset: true`; the caller decides whether that is an error.
 */
export function interpolate(raw: string, env: Readonly<Record<string, string | undefined>>, placeholder: (name: string) => string): Interpolated {
  let value = '';
  const rawIndex: number[] = [];
  const references: VariableReference[] = [];
  const copy = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      value += raw[k];
      rawIndex.push(k);
    }
  };
  const insert = (text: string, at: number) => {
    value += text;
    for (let k = 0; k < text.length; k++) rawIndex.push(at);
  };
  let last = 0;
  let whole = false;
  for (const match of raw.matchAll(reference)) {
    const start = match.index;
    copy(last, start);
    last = start + match[0].length;
    if (match[0] === '$${') {
      insert('${', start);
      continue;
    }
    const name = match[1] as string;
    const fallback = match[2];
    // Like the shell's `:-`, an empty variable takes the default too.
    const fromEnv = env[name] === '' && fallback !== undefined ? undefined : env[name];
    const unset = fromEnv === undefined && fallback === undefined;
    references.push({ name, start, unset, ...(fallback !== undefined ? { fallback } : {}) });
    insert(fromEnv ?? fallback ?? placeholder(name), start);
    whole = start === 0 && last === raw.length;
  }
  copy(last, raw.length);
  rawIndex.push(raw.length);
  return { value, rawIndex, references, whole: whole && references.length === 1 };
}

/** Whether the text contains anything `interpolate` would change. */
export function hasInterpolation(raw: string): boolean {
  return raw.includes('${');
}

/**
 * `${` that was evidently meant as a variable but is not one of the two supported forms: an
 * unclosed `${API_KEY`, or a shell form (`${VAR-x}`, `${VAR:=x}`, `${VAR:?x}`, `${VAR:+x}`). Left
 * alone it would reach the connector as literal text. Anything else after `${` (JSONata's own
 * `${ … }` grouping, say) is not taken for a variable.
 */
export function malformedReferences(raw: string): Array<{ start: number; message: string }> {
  const found: Array<{ start: number; message: string }> = [];
  for (const match of raw.matchAll(/\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-=?+]|\}|)/g)) {
    const [text, name, after] = match;
    if (text === '$${' || after === '}' || after === ':-') continue;
    const start = match.index;
    if (after === '' && raw[start + text.length] === undefined) {
      found.push({ start, message: `\${${name} is not closed: write \${${name}}` });
    } else if (after !== '') {
      found.push({ start, message: `\${${name}${after}…} is not supported: write \${${name}} or \${${name}:-default}` });
    }
  }
  return found;
}
