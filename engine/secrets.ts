/**
 * Secret values the process knows (API keys, passwords, tokens) and the one way text is made safe
 * to print or store: every registered value is masked, in the forms it travels in as well as raw
 * (URL-encoded, form-encoded, JSON-escaped, XML-escaped, and inside any base64 such as a Basic
 * header), and a value cut short at the start or the end of a text (a vendor's truncated echo)
 * is masked too. Text is always masked before it is cut (`excerpt`), so a cut never leaves part
 * of a secret behind.
 */

const MASK = '***';
/** Shorter values are not registered: masking them would mask ordinary words and numbers (`123`, `EUR`) in every payload. */
export const MIN_SECRET_LENGTH = 4;
/** A secret's start or end found at an edge of a text is masked from this many characters on. */
const MIN_PARTIAL = 6;
/** Base64 runs shorter than this are not masked on their own (too likely to be something else). */
const MIN_BASE64_CORE = 8;

const secrets = new Set<string>();
let compiled: { pattern: RegExp; edgeForms: string[] } | undefined;

/** Registers a value that must never be printed or stored in clear. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  compiled = undefined;
}

/**
 * The warning for a configured secret too short to be masked, naming `property` (never the value);
 * undefined for one that is masked (or unset).
 */
export function unmaskedSecretWarning(property: string, value: string | undefined): string | undefined {
  if (!value || value.length >= MIN_SECRET_LENGTH) return undefined;
  return `${property} is shorter than ${MIN_SECRET_LENGTH} characters, so it is not masked in logs, errors or the state (masking a value that short would damage ordinary words and numbers everywhere): use a longer secret`;
}

/** The values registered so far: a worker thread that loaded a pipeline hands them to the main thread. */
export function registeredSecrets(): string[] {
  return [...secrets];
}

/** Masks every registered secret, in every form it travels in, and partial ones at the text's edges. */
export function redact(text: string): string {
  if (secrets.size === 0 || text.length === 0) return text;
  compiled ??= compile();
  return maskEdges(text.replace(compiled.pattern, MASK), compiled.edgeForms);
}

/** At most `max` characters of `text`, masked before it is cut; `…` marks a cut. */
export function excerpt(text: string, max: number): string {
  const masked = redact(text);
  return masked.length > max ? `${masked.slice(0, max)}…` : masked;
}

/** The forms a secret takes on its way: in a URL or a form, in JSON (nested once), in XML, and inside base64. */
export function secretForms(secret: string): { whole: string[]; base64: string[] } {
  const whole = new Set<string>([secret]);
  const url = encodeURIComponent(secret);
  whole.add(url);
  whole.add(url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  whole.add(new URLSearchParams({ v: secret }).toString().slice(2));
  let json = secret;
  for (let depth = 0; depth < 2; depth++) {
    json = JSON.stringify(json).slice(1, -1);
    whole.add(json);
  }
  whole.add(secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'));
  return { whole: [...whole], base64: base64Cores(secret) };
}

/**
 * Wherever a secret sits inside base64-encoded data (`user:password` in a Basic header), one of
 * these runs appears in the encoding: its bytes from offset 0, 1 or 2, in whole groups of three,
 * encoded (and in the URL-safe alphabet). At most two bytes at each end stay unmasked.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (let shift = 0; shift < 3; shift++) {
    const usable = bytes.subarray(shift);
    const core = usable.subarray(0, usable.length - (usable.length % 3)).toString('base64');
    if (core.length < MIN_BASE64_CORE) continue;
    cores.add(core);
    cores.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...cores];
}

function compile(): { pattern: RegExp; edgeForms: string[] } {
  const all = new Set<string>();
  const edgeForms = new Set<string>();
  for (const secret of secrets) {
    const forms = secretForms(secret);
    for (const form of forms.whole) {
      all.add(form);
      if (form.length > MIN_PARTIAL) edgeForms.add(form);
    }
    for (const core of forms.base64) all.add(core);
  }
  // Longest first, so a form is masked whole rather than the shorter form inside it.
  const alternatives = [...all].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return { pattern: new RegExp(alternatives.join('|'), 'g'), edgeForms: [...edgeForms] };
}

/** A text that ends with a secret's first characters, or starts with its last ones: a cut made elsewhere. */
function maskEdges(text: string, forms: readonly string[]): string {
  let out = text;
  const tail = out.slice(-MIN_PARTIAL);
  const head = out.slice(0, MIN_PARTIAL);
  if (tail.length < MIN_PARTIAL) return out;
  for (const form of forms) {
    if (form.includes(tail)) {
      for (let k = Math.min(form.length - 1, out.length); k >= MIN_PARTIAL; k--) {
        if (out.endsWith(form.slice(0, k))) {
          out = out.slice(0, out.length - k) + MASK;
          break;
        }
      }
    }
    if (form.includes(head)) {
      for (let k = Math.min(form.length - 1, out.length); k >= MIN_PARTIAL; k--) {
        if (out.startsWith(form.slice(form.length - k))) {
          out = MASK + out.slice(k);
          break;
        }
      }
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `redact` for JSON text: a secret is masked as written and as JSON escapes it (a quote, a
 * backslash, a control character inside it). Undefined when masking would break the JSON (a secret
 * that ends inside an escape sequence): mask the parsed value instead.
 */
export function redactJson(text: string): string | undefined {
  let out = text;
  for (const secret of secrets) {
    for (const form of [JSON.stringify(secret).slice(1, -1), secret]) {
      if (out.includes(form)) out = out.split(form).join('***');
    }
  }
  if (out === text) return out;
  try {
    JSON.parse(out);
    return out;
  } catch {
    return undefined;
  }
}
