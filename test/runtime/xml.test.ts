import t from 'tap';
import { childText, elementFromTable, parseXml } from '../../runtime/xml.js';

const NICK = 'http://jabber.org/protocol/nick';
const item = (payload: ReturnType<typeof parseXml>) => ({ name: 'item', attr: {}, children: [payload] });

t.test('parseXml reads what Prosody writes: namespaces, entities, text', async (t) => {
  t.same(parseXml(`<nick xmlns='${NICK}'>Alice B</nick>`), { name: 'nick', attr: { xmlns: NICK }, children: ['Alice B'] });
  const el = parseXml(`<?xml version='1.0'?>\n<a xmlns="urn:a" x='1 &amp; &lt;2&gt; &apos;&quot;'><b>caf&#233; &#x2603;</b><p:c xmlns:p='urn:c'/><![CDATA[<raw>]]></a>`);
  t.same(el, {
    name: 'a',
    attr: { xmlns: 'urn:a', x: `1 & <2> '"` },
    children: [{ name: 'b', attr: { xmlns: 'urn:a' }, children: ['café ☃'] }, { name: 'c', attr: { xmlns: 'urn:c' }, children: [] }, '<raw>'],
  }, 'every element gets its namespace, as util.xml sets attr.xmlns');
});

t.test('parseXml refuses what is not one element', async (t) => {
  for (const bad of ['', 'text', '<a>', '<a></b>', '<a x=1/>', '<a>&bogus;</a>', '<a>a & b</a>', '<a/><b/>', '<!-- c --><a/>', '<a><!-- c --></a>', '<!DOCTYPE a><a/>', '<a><?pi x?></a>', '<p:a/>', '<a>&#0;</a>']) {
    t.throws(() => parseXml(bad), SyntaxError, JSON.stringify(bad));
  }
});

t.test('elementFromTable reads the preserialized stanza of a list file', async (t) => {
  const table = { '1': 'Alice B', name: 'nick', attr: { xmlns: NICK, stamp: '2026-12-02T14:28:55Z' }, key: 'current', when: 1796221735 };
  t.same(elementFromTable(table), { name: 'nick', attr: { xmlns: NICK, stamp: '2026-12-02T14:28:55Z' }, children: ['Alice B'] });
  t.same(elementFromTable({ '1': { name: 'b', attr: {}, '1': 'x' }, '2': 'y', name: 'a', attr: {} }), { name: 'a', attr: {}, children: [{ name: 'b', attr: {}, children: ['x'] }, 'y'] });
  t.throws(() => elementFromTable('text'), TypeError);
  t.throws(() => elementFromTable({ attr: {} }), TypeError);
  t.throws(() => elementFromTable({ name: 'a', attr: 'x' }), TypeError);
});

t.test("childText is Prosody's get_child_text", async (t) => {
  t.equal(childText(item(parseXml(`<nick xmlns='${NICK}'>Alice &amp; Co</nick>`)), 'nick', NICK), 'Alice & Co');
  t.equal(childText(item(parseXml(`<nick xmlns='${NICK}'/>`)), 'nick', NICK), '', 'an empty nick is the empty string');
  t.equal(childText(item(parseXml(`<nick xmlns='urn:other'>X</nick>`)), 'nick', NICK), undefined, 'another namespace');
  t.equal(childText(item(parseXml(`<name xmlns='${NICK}'>X</name>`)), 'nick', NICK), undefined, 'another name');
  t.equal(childText(item(parseXml(`<nick xmlns='${NICK}'>A<b/>B</nick>`)), 'nick', NICK), undefined, 'an element with child elements has no text');
});
