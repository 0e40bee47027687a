import { readFileSync } from 'node:fs';
import t from 'tap';
import { nodeprep, saslprep } from '../../../runtime/accounts/stringprep.js';

// Written by Prosody 0.12.3's own util.encodings (test/fixtures/stringprep/generate.lua).
const rows = readFileSync(new URL('../../fixtures/stringprep/prosody-0.12.3.tsv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split('\t').map((h) => (h === '-' ? undefined : h === '=' ? '' : String.fromCodePoint(...h.split(' ').map((x) => parseInt(x, 16))))));

t.test('a username is lower-cased, folded and normalized', async (t) => {
  t.equal(nodeprep('Alice'), 'alice');
  t.equal(nodeprep('ｂｏｂ'), 'bob');
  t.equal(nodeprep('josé'), 'josé');
  t.equal(nodeprep('Straße'), 'strasse');
  t.equal(nodeprep('ΣΑΣ'), 'σασ', 'no final-sigma context, as stringprep');
});

t.test('characters a JID localpart may not hold are refused', async (t) => {
  for (const name of ['', 'a b', 'a@b', 'a/b', 'a:b', 'a"b', "a'b", 'a&b', 'a<b', 'a>b', 'a\tb', 'a\u0000b', 'x'.repeat(1024)]) {
    t.equal(nodeprep(name), undefined, JSON.stringify(name.slice(0, 20)));
  }
});

t.test('nodeprep agrees with Prosody on every name it accepts, and exactly on ASCII', async (t) => {
  let accepted = 0;
  for (const [input, prosody] of rows) {
    const ours = nodeprep(input!);
    if (ours !== undefined) {
      accepted++;
      if (ours !== prosody) t.fail(`nodeprep(${JSON.stringify(input)}) = ${JSON.stringify(ours)}, Prosody ${JSON.stringify(prosody)}`);
    }
    if (input!.length === 1 && input!.charCodeAt(0) < 0x80 && ours !== prosody) t.fail(`ASCII ${JSON.stringify(input)} differs`);
  }
  t.ok(accepted > 400, `${accepted} samples accepted`);
});

t.test('saslprep agrees with Prosody on every password it accepts', async (t) => {
  let accepted = 0;
  for (const [input, , prosody] of rows) {
    const ours = saslprep(input!);
    if (ours === undefined) continue;
    accepted++;
    if (ours !== prosody) t.fail(`saslprep(${JSON.stringify(input)}) = ${JSON.stringify(ours)}, Prosody ${JSON.stringify(prosody)}`);
  }
  t.ok(accepted > 900, `${accepted} samples accepted`);
  t.equal(saslprep('pass\u00A0word'), 'pass word', 'non-ASCII spaces become spaces');
  t.equal(saslprep('a\u0007b'), undefined, 'control characters are refused');
  t.equal(saslprep('\u05D0\u05D1'), undefined, 'right-to-left text is refused (no bidi tables)');
});
