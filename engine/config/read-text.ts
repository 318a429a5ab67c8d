/**
 * Reads a configuration file (a pipeline, a lookup table) as text, refusing what is not one
 * before it can hang or crash the loader: a FIFO or a device (reading would block for ever or
 * never end), a directory, a symbolic link loop, a file too large to parse in reasonable time, and
 * bytes that are not text. UTF-8 is read with or without a byte-order mark; UTF-16 is decoded when
 * it starts with its byte-order mark (Windows editors write it), and refused without one.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type TextRead = { ok: true; text: string } | { ok: false; code: string; message: string; line: number; column: number };

export interface ReadTextOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** What to suggest when the file is too large. */
  tooLargeHint?: string;
  /** The file as messages name it. Default: `path`. */
  shownAs?: string;
  /** What to suggest when the path is a directory. */
  directoryHint?: string;
}

export async function readConfigText(path: string, options: ReadTextOptions): Promise<TextRead> {
  const shown = options.shownAs ?? path;
  let bytes: Buffer;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; the fstat below refuses it.
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return refuse('file_not_regular', `cannot read ${shown}: ${describeNonRegular(stat, options.directoryHint)}`);
      if (stat.size > options.maxBytes) {
        return refuse(
          'file_too_large',
          `cannot read ${shown}: it is ${megabytes(stat.size)}, more than the ${megabytes(options.maxBytes)} a configuration file may have${options.tooLargeHint ? `; ${options.tooLargeHint}` : ''}`,
        );
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    return refuse('file_unreadable', `cannot read ${shown}: ${reasonOf(error as NodeJS.ErrnoException)}`);
  }
  return decodeText(bytes, shown);
}

/** The text of `bytes`: UTF-8 (an optional BOM dropped), or UTF-16 announced by its BOM. */
export function decodeText(bytes: Uint8Array, path: string): TextRead {
  let text: string;
  if (startsWith(bytes, [0xff, 0xfe, 0x00, 0x00]) || startsWith(bytes, [0x00, 0x00, 0xfe, 0xff])) {
    return refuse('file_encoding', `cannot read ${path}: it is UTF-32; save it as UTF-8`);
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    if (bytes.length % 2 !== 0) return refuse('file_encoding', `cannot read ${path}: it starts as ${encoding.toUpperCase()} but has an odd number of bytes`);
    text = new TextDecoder(encoding).decode(bytes.subarray(2));
  } else {
    const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      // UTF-16 without its mark is rarely valid UTF-8 once it holds one character beyond ASCII (an
      // arrow in a comment): its NUL bytes say what it is better than the first invalid byte does.
      const at = firstInvalidUtf8(body);
      const nul = body.indexOf(0);
      if (nul >= 0 && nul < at) return nulCharacter(path, lineColumnOfByte(body, nul));
      const { line, column } = lineColumnOfByte(body, at);
      return refuse('file_encoding', `${path} is not valid UTF-8 (byte 0x${(body[at] ?? 0).toString(16).padStart(2, '0')}); save it as UTF-8`, line, column);
    }
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) return nulCharacter(path, lineColumnOfText(text, nul));
  return { ok: true, text };
}

function nulCharacter(path: string, at: { line: number; column: number }): TextRead {
  return refuse(
    'file_encoding',
    `${path} contains a NUL character: it is UTF-16 without a byte-order mark, or not a text file; save it as UTF-8`,
    at.line,
    at.column,
  );
}

function refuse(code: string, message: string, line = 1, column = 1): TextRead {
  return { ok: false, code, message, line, column };
}

function reasonOf(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'a symbolic link loop (a link that points back to itself)';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return error.code ? `${error.code} (${error.message.replace(/^[A-Z]+: /, '')})` : error.message;
  }
}

function describeNonRegular(
  stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean },
  directoryHint: string | undefined,
): string {
  if (stat.isDirectory()) return `it is a directory${directoryHint ? ` (${directoryHint})` : ''}`;
  if (stat.isFIFO()) return 'it is a named pipe (FIFO)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'it is a device';
  if (stat.isSocket()) return 'it is a socket';
  return 'it is not a regular file';
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MiB`;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** Index of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    // Overlong three- and four-byte forms, surrogates and code points past U+10FFFF.
    const second = bytes[i + 1] as number;
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += length;
  }
  return bytes.length;
}

function lineColumnOfByte(bytes: Uint8Array, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Columns count characters, as editors show them: continuation bytes are not characters.
  let column = 1;
  for (let i = lineStart; i < index; i++) if (((bytes[i] as number) & 0xc0) !== 0x80) column++;
  return { line, column };
}

function lineColumnOfText(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: (before.match(/\n/g)?.length ?? 0) + 1, column: index - lineStart + 1 };
}
