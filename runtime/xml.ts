/**
 * Stanzas as Prosody keeps them in archives: an element tree like util.stanza's (name, attr,
 * children), read from XML text (mod_storage_sql's "xml" values, as util.xml parses them) or
 * from a preserialized table (mod_storage_internal's `.list` items), and Prosody's
 * `get_child_text`. Enough XML for what Prosody writes; anything else is an error, never a guess.
 */

/** An XML element: `attr.xmlns` is its namespace (set on every element, as util.xml does). */
export interface XmlElement {
  name: string;
  attr: Record<string, string>;
  children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const NAME = /[A-Za-z_:][-A-Za-z0-9_.:\u00b7\u00c0-\uffff]*/y;

class XmlParser {
  pos = 0;
  constructor(readonly src: string) {}

  fail(why: string): never {
    throw new SyntaxError(`XML: ${why} at offset ${this.pos}`);
  }

  skipSpace(): void {
    while (/[ \t\r\n]/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  name(): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.src);
    if (!m) this.fail('name expected');
    this.pos += m[0].length;
    return m[0];
  }

  decode(text: string): string {
    return text.replace(/&([^;&]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) this.fail('unfinished character reference');
      const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : ref.startsWith('#') ? parseInt(ref.slice(1), 10) : undefined;
      if (code === undefined) return ENTITIES[ref] ?? this.fail(`unknown entity &${ref};`);
      if (!Number.isInteger(code) || code < 1 || code > 0x10ffff || !/^#(x[0-9A-Fa-f]+|[0-9]+)$/.test(ref)) this.fail(`bad character reference &${ref};`);
      return String.fromCodePoint(code);
    });
  }

  /** One element at `<`, its namespace resolved from `scope` (prefix -> URI, '' the default). */
  element(scope: ReadonlyMap<string, string>): XmlElement {
    this.pos++; // '<'
    const tag = this.name();
    const raw: [string, string][] = [];
    for (;;) {
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === '>' || c === '/') break;
      if (c === undefined) this.fail('unfinished tag');
      const key = this.name();
      this.skipSpace();
      if (this.src[this.pos] !== '=') this.fail("'=' expected");
      this.pos++;
      this.skipSpace();
      const q = this.src[this.pos];
      if (q !== '"' && q !== "'") this.fail('quoted attribute value expected');
      const end = this.src.indexOf(q, this.pos + 1);
      if (end === -1) this.fail('unfinished attribute value');
      const value = this.src.slice(this.pos + 1, end);
      if (value.includes('<')) this.fail("'<' in an attribute value");
      raw.push([key, this.decode(value)]);
      this.pos = end + 1;
    }
    const names = new Map(scope);
    for (const [k, v] of raw) {
      if (k === 'xmlns') names.set('', v);
      else if (k.startsWith('xmlns:')) names.set(k.slice(6), v);
    }
    const colon = tag.indexOf(':');
    const prefix = colon === -1 ? '' : tag.slice(0, colon);
    const ns = names.get(prefix);
    if (prefix !== '' && ns === undefined) this.fail(`undeclared prefix ${prefix}`);
    const attr: Record<string, string> = {};
    for (const [k, v] of raw) if (k !== 'xmlns' && !k.startsWith('xmlns:')) attr[k] = v;
    if (ns) attr.xmlns = ns;
    const el: XmlElement = { name: colon === -1 ? tag : tag.slice(colon + 1), attr, children: [] };
    if (this.src[this.pos] === '/') {
      this.pos++;
      if (this.src[this.pos] !== '>') this.fail("'>' expected");
      this.pos++;
      return el;
    }
    this.pos++; // '>'
    for (;;) {
      const lt = this.src.indexOf('<', this.pos);
      if (lt === -1) this.fail(`</${tag}> expected`);
      if (lt > this.pos) el.children.push(this.decode(this.src.slice(this.pos, lt)));
      this.pos = lt;
      if (this.src.startsWith('</', lt)) {
        this.pos += 2;
        if (this.name() !== tag) this.fail(`</${tag}> expected`);
        this.skipSpace();
        if (this.src[this.pos] !== '>') this.fail("'>' expected");
        this.pos++;
        return el;
      }
      if (this.src.startsWith('<![CDATA[', lt)) {
        const end = this.src.indexOf(']]>', lt);
        if (end === -1) this.fail('unfinished CDATA section');
        el.children.push(this.src.slice(lt + 9, end));
        this.pos = end + 3;
        continue;
      }
      // As util.xml: comments, doctypes and processing instructions stop the parse.
      if (this.src[lt + 1] === '!' || this.src[lt + 1] === '?') this.fail('comment, doctype or processing instruction');
      el.children.push(this.element(names));
    }
  }
}

/** One element from XML text (an optional `<?xml ...?>` declaration before it); throws a SyntaxError for anything else. */
export function parseXml(text: string): XmlElement {
  const p = new XmlParser(text);
  p.skipSpace();
  if (text.startsWith('<?xml', p.pos) && /\s/.test(text[p.pos + 5] ?? '')) {
    const end = text.indexOf('?>', p.pos);
    if (end === -1) p.fail('unfinished XML declaration');
    p.pos = end + 2;
    p.skipSpace();
  }
  if (text[p.pos] !== '<' || text[p.pos + 1] === '!' || text[p.pos + 1] === '?' || text[p.pos + 1] === '/') p.fail('element expected');
  const el = p.element(new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
  p.skipSpace();
  if (p.pos < text.length) p.fail('text after the element');
  return el;
}

type Table = { [key: string]: unknown };
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A stanza from util.stanza's preserialized form (`{ name = "nick", attr = {...}, "text", {child} }`,
 * as the internal driver's `.list` items hold it), read as Lua tables come out of a data file: the
 * array part is keys "1".."n" of a mixed table. Throws a TypeError when it is not one.
 */
export function elementFromTable(value: unknown, depth = 0): XmlElement {
  if (depth > 100) throw new TypeError('stanza nested too deep');
  if (!isTable(value) || typeof value.name !== 'string') throw new TypeError('not a stanza: no element name');
  const attr: Record<string, string> = {};
  if (value.attr !== undefined) {
    if (!isTable(value.attr)) throw new TypeError('not a stanza: attr is not a table');
    // As st.deserialize: string-keyed attributes only.
    for (const [k, v] of Object.entries(value.attr)) if (typeof v === 'string' && !/^[0-9]+$/.test(k)) attr[k] = v;
  }
  const children: (XmlElement | string)[] = [];
  for (let i = 1; Object.hasOwn(value, String(i)); i++) {
    const child = value[String(i)];
    if (typeof child === 'string') children.push(child);
    else if (isTable(child)) children.push(elementFromTable(child, depth + 1));
  }
  return { name: value.name, attr, children };
}

/**
 * Prosody's `stanza:get_child_text(name, xmlns)`: the text of the first child element with that
 * name and namespace, or undefined; an element that has child elements has no text (get_text).
 * @example childText(item, 'nick', 'http://jabber.org/protocol/nick')
 */
export function childText(el: XmlElement, name: string, xmlns: string): string | undefined {
  const child = el.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name && c.attr.xmlns === xmlns);
  if (!child || child.children.some((c) => typeof c !== 'string')) return undefined;
  return child.children.join('');
}
