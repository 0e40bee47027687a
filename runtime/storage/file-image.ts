/**
 * The cache of one data file, as lean as the file itself: the file's bytes in one buffer and,
 * per key, where its item (`\n\t["key"] = value;`) lies in them. Values are parsed when they
 * are asked for, so a cached invite costs its bytes plus its key and a span (under 1 KB for an
 * invite, where keeping parsed values cost 2.7 KB), and a commit that adds entries writes the
 * buffer as it is, plus the new items copied at its end.
 *
 * An image never changes what it shows except through `append(...).apply()`, which only adds
 * items past its end: a reader iterating it meanwhile may see the added keys too, never a
 * changed or missing one. Any other change makes a new image.
 *
 * A big file in Prosody's layout can be taken before it is checked (`unchecked`): its bytes are
 * known, its keys not yet, and the only thing it is good for is an append, which is exact on
 * any table that ends `;\n};\n` (the new fields go last, and in Lua a later field wins). The
 * file's own check runs meanwhile and either `adopt`s its keys or says it must be read again.
 * So the first invite after a start waits for the file's read, not for its check.
 */
import { entryText, FieldReader, FILE_HEAD, FILE_TAIL, parseItem } from './lua-data.js';
import type { StoreValue } from './types.js';

/** Where one item lies in the image's buffer. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/** A file's items in order: `keys[i]` lies from `spans[2i]` to `spans[2i + 1]` (see `FileImage.layout`). */
export interface Layout {
  readonly keys: string[];
  readonly spans: Int32Array;
}

/** Yield to the event loop this often while reading a big file, so other requests go on meanwhile. */
const READ_SLICE_MS = 8;

/** Files from this size are taken unchecked (see `unchecked`): below it, a check takes a few milliseconds. */
export const UNCHECKED_FROM = 1 << 20;

const setImmediateP = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Room to grow by (an eighth): appends copy only the new items until it is used up. */
export function capacityFor(need: number): number {
  return Math.max(need + (need >> 3), 64 * 1024);
}

export class FileImage {
  readonly #file: string;
  #buf: Buffer;
  /** Bytes in use: FILE_HEAD and every item, not FILE_TAIL. */
  #len: number;
  #index: Map<string, Span>;
  /** While unchecked: the length of the items as the file was read (what its check must cover); else null. */
  #unreadLen: number | null = null;

  private constructor(file: string, buf: Buffer, len: number, index: Map<string, Span>) {
    this.#file = file;
    this.#buf = buf;
    this.#len = len;
    this.#index = index;
  }

  /**
   * A file of at least UNCHECKED_FROM bytes that starts and ends as Prosody writes one, taken
   * before it is checked: nothing but its appends is known (see the class comment), and the
   * caller must check the file as it was read (not these bytes, which appends write over) with
   * `FileImage.layout`, then `adopt` what that gives. Null for any other file.
   */
  static unchecked(file: string, bytes: Buffer, buffer: Buffer): FileImage | null {
    const len = bytes.length - FILE_TAIL.length;
    if (bytes.length < UNCHECKED_FROM || bytes[len - 1] !== 0x3b) return null;
    if (!bytes.subarray(0, FILE_HEAD.length).equals(FILE_HEAD) || !bytes.subarray(len).equals(FILE_TAIL)) return null;
    const image = new FileImage(file, buffer, len, new Map());
    image.#unreadLen = len;
    return image;
  }

  /** Taken before its check (see `unchecked`): only `append` may be used, and `has` knows only what was appended. */
  get unchecked(): boolean {
    return this.#unreadLen !== null;
  }

  /**
   * Where each item of a file in Prosody's layout lies (see `Layout`), or null for a file in any
   * other layout; rejects as `read` does for a file Lua would not load. This is the check of an
   * unchecked image, run where its copy of the text costs nothing afterwards (a worker thread).
   */
  static async layout(file: string, bytes: Buffer): Promise<Layout | null> {
    const image = await FileImage.read(file, bytes);
    if (image.#buf !== bytes) return null; // rewritten into that layout: it was not in it
    const keys: string[] = [];
    const spans = new Int32Array(image.#index.size * 2);
    let i = 0;
    for (const [key, span] of image.#index) {
      keys.push(key);
      spans[i++] = span.start;
      spans[i++] = span.end;
    }
    return { keys, spans };
  }

  /**
   * End the unchecked state with the file's check (`FileImage.layout` of the same bytes): its
   * keys and spans, with the items appended since after them. False when they cannot be joined:
   * the file was not in Prosody's layout (null), or an appended key was already in it (the file
   * now holds it twice). The caller must then read the file again.
   */
  adopt(layout: Layout | null): boolean {
    const unreadLen = this.#unreadLen;
    if (unreadLen === null) return true;
    if (!layout || layout.spans.length !== layout.keys.length * 2) return false;
    const index = new Map<string, Span>();
    let at = FILE_HEAD.length;
    for (let i = 0; i < layout.keys.length; i++) {
      const start = layout.spans[2 * i]!;
      const end = layout.spans[2 * i + 1]!;
      if (start !== at || end <= start) return false; // back to back, as a file in this layout is
      index.set(layout.keys[i]!, { start, end });
      at = end;
    }
    if (at !== unreadLen || index.size !== layout.keys.length) return false;
    for (const [key, span] of this.#index) {
      if (index.has(key)) return false;
      index.set(key, span);
    }
    this.#index = index;
    this.#unreadLen = null;
    return true;
  }

  /** No file (or an empty table). */
  static empty(file: string): FileImage {
    return FileImage.build(file, []);
  }

  /** An image of these items, in order (each `\n\t[key] = value;`, as entryText makes them). */
  static build(file: string, items: ReadonlyArray<readonly [string, Buffer]>): FileImage {
    let need = FILE_HEAD.length;
    for (const [, b] of items) need += b.length;
    const buf = Buffer.allocUnsafeSlow(capacityFor(need));
    let len = FILE_HEAD.copy(buf, 0);
    const index = new Map<string, Span>();
    for (const [key, b] of items) {
      index.set(key, { start: len, end: len + b.length });
      len += b.copy(buf, len);
    }
    return new FileImage(file, buf, len, index);
  }

  /**
   * Read a data file's bytes (any table Lua would load: comments, other quoting, `k = nil`,
   * repeated keys), yielding to the event loop every few milliseconds. A file in the layout
   * Prosody writes is kept as it was read, without a copy; any other is rewritten into that
   * layout, string-keyed fields with their source as it was, other keys serialized as strings.
   * Rejects with ERR_STORAGE_PARSE for a file Lua would not load. `buffer`, when given, holds
   * `bytes` at its start and is this image's own, to grow into (see readVersioned).
   */
  static async read(file: string, bytes: Buffer, buffer?: Buffer): Promise<FileImage> {
    const reader = new FieldReader(bytes, file);
    const fields = new Map<string, { start: number; end: number; item: Buffer | null }>();
    // Prosody's own layout: `return {`, items `\n\t<field>;` back to back, `\n};\n`.
    let canonical = bytes.subarray(0, FILE_HEAD.length).equals(FILE_HEAD);
    let cursor = FILE_HEAD.length;
    let sliceStart = performance.now();
    let count = 0;
    for (let f = reader.next(); f; f = reader.next()) {
      if (fields.delete(f.key)) canonical = false; // later fields win, in the later one's place
      if (f.value === undefined) {
        canonical = false; // `k = nil`
      } else {
        canonical &&= f.named && f.start === cursor + 2 && bytes[cursor] === 0x0a && bytes[cursor + 1] === 0x09 && bytes[f.end] === 0x3b;
        cursor = f.end + 1;
        fields.set(f.key, { start: f.start, end: f.end, item: f.value === null ? null : Buffer.from(entryText(f.key, f.value), 'utf8') });
      }
      if ((++count & 255) === 0 && performance.now() - sliceStart > READ_SLICE_MS) {
        await setImmediateP();
        sliceStart = performance.now();
      }
    }
    if (fields.size === 0) return FileImage.empty(file);
    if (canonical && bytes.subarray(cursor).equals(FILE_TAIL)) {
      const index = new Map<string, Span>();
      for (const [key, f] of fields) index.set(key, { start: f.start - 2, end: f.end + 1 });
      return new FileImage(file, buffer ?? bytes, cursor, index);
    }
    const items: Array<readonly [string, Buffer]> = [];
    for (const [key, f] of fields) {
      items.push([key, f.item ?? Buffer.concat([ITEM_OPEN, bytes.subarray(f.start, f.end), ITEM_CLOSE])]);
    }
    return FileImage.build(file, items);
  }

  get size(): number {
    return this.#index.size;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  /** A fresh copy of the value (parsed now), or undefined. */
  get(key: string): StoreValue | undefined {
    const span = this.#index.get(key);
    return span ? parseItem(this.#buf, span.start, span.end, this.#file) : undefined;
  }

  keys(): IterableIterator<string> {
    return this.#index.keys();
  }

  /** Every key with a fresh copy of its value, in file order, parsed one at a time. */
  *entries(): Generator<[string, StoreValue]> {
    for (const [key, span] of this.#index) yield [key, parseItem(this.#buf, span.start, span.end, this.#file)];
  }

  /** Every item's bytes, in file order (views of this image: copy before it changes). */
  *items(): Generator<[string, Buffer]> {
    for (const [key, span] of this.#index) yield [key, this.#buf.subarray(span.start, span.end)];
  }

  /** What to write for this image. */
  chunks(): Buffer[] {
    return [this.#buf.subarray(0, this.#len), FILE_TAIL];
  }

  /**
   * Stage `items` (keys not in the image) at its end: `chunks` is the new file to write, and
   * `apply()`, once it is written, makes this image show it. Until then the image is unchanged,
   * and a write that fails needs no undo.
   */
  append(items: ReadonlyArray<readonly [string, Buffer]>): { chunks: Buffer[]; apply(): void } {
    let need = this.#len;
    for (const [, b] of items) need += b.length;
    let buf = this.#buf;
    if (need > buf.length) {
      buf = Buffer.allocUnsafe(capacityFor(need));
      this.#buf.copy(buf, 0, 0, this.#len);
    }
    // Past #len, so nothing this image shows is touched.
    const spans: Array<[string, Span]> = [];
    let len = this.#len;
    for (const [key, b] of items) {
      spans.push([key, { start: len, end: len + b.length }]);
      len += b.copy(buf, len);
    }
    return {
      chunks: [buf.subarray(0, len), FILE_TAIL],
      apply: () => {
        this.#buf = buf;
        this.#len = len;
        for (const [key, span] of spans) this.#index.set(key, span);
      },
    };
  }
}

const ITEM_OPEN = Buffer.from('\n\t');
const ITEM_CLOSE = Buffer.from(';');
