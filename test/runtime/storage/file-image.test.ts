import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FileImage, UNCHECKED_FROM } from '../../../runtime/storage/file-image.js';
import { InternalDriver } from '../../../runtime/storage/internal.js';
import { entryText, fileText } from '../../../runtime/storage/lua-data.js';
import type { StoreTable } from '../../../runtime/storage/types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const item = (key: string, value: StoreTable | number | string) => [key, Buffer.from(entryText(key, value))] as const;
const text = (image: FileImage) => Buffer.concat(image.chunks()).toString('utf8');

/** An account invite as mod_invites stores one made through the API (about 370 bytes in the file). */
function invite(token: string, now: number): StoreTable {
  return {
    type: 'register', jid: 'example.com', token, allow_registration: true,
    uri: `xmpp:example.com?register;preauth=${token}`, created_at: now, expires: now + 604800,
    additional_data: { source: 'api/token/prefill0000' },
  };
}

t.test('a file in the layout Prosody writes is kept byte for byte; values are parsed when asked for', async (t) => {
  const bytes = Buffer.from(fileText([entryText('a', { x: 1, y: 'é' }), entryText('b', 2)]));
  const image = await FileImage.read('x.dat', bytes);
  t.equal(text(image), bytes.toString('utf8'));
  t.strictSame([...image.keys()], ['a', 'b']);
  t.strictSame(image.get('a'), { x: 1, y: 'é' });
  t.equal(image.get('b'), 2);
  t.equal(image.get('c'), undefined);
  const first = image.get('a') as StoreTable;
  first.x = 99;
  t.strictSame(image.get('a'), { x: 1, y: 'é' }, 'each get is a fresh copy');
});

t.test('any other table Lua loads is rewritten into that layout, with the same values', async (t) => {
  const source = "-- comment\nreturn { b = 1, [\"a\"] = 'x\\65', [3] = true, b = 2, gone = 5, gone = nil, [\"u\"] = \"\\195\\169\", raw = \"é\" }";
  const image = await FileImage.read('x.dat', Buffer.from(source));
  t.strictSame([...image.entries()], [['a', 'xA'], ['3', true], ['b', 2], ['u', 'é'], ['raw', 'é']]);
  t.equal(text(image), 'return {\n\t["a"] = \'x\\65\';\n\t["3"] = true;\n\tb = 2;\n\t["u"] = "\\195\\169";\n\traw = "é";\n};\n');
  t.strictSame((await FileImage.read('y.dat', Buffer.from(text(image)))).get('raw'), 'é', 'and reads back the same');
});

t.test('a file Lua would not load is refused with its line, whatever part of it is only checked', async (t) => {
  await t.rejects(FileImage.read('x.dat', Buffer.from('return {\n\t["a"] = { [{}] = 1 };\n};\n')), { code: 'ERR_STORAGE_PARSE', message: /x\.dat.*line 2/ });
  await t.rejects(FileImage.read('x.dat', Buffer.from('return {\n\t["a"] = "\\400";\n};\n')), { code: 'ERR_STORAGE_PARSE' });
  await t.rejects(FileImage.read('x.dat', Buffer.from('return {\n\t["a"] = 1;\n}; junk')), { code: 'ERR_STORAGE_PARSE' });
  await t.rejects(FileImage.read('x.dat', Buffer.from('return "not a table";')), { code: 'ERR_STORAGE_PARSE' });
});

t.test('an append shows nothing until it is applied, and then only adds', async (t) => {
  const image = FileImage.build('x.dat', [item('a', 1)]);
  const before = text(image);
  const staged = image.append([item('b', 2)]);
  t.equal(text(image), before, 'unchanged while the write is in flight (or after it failed)');
  t.equal(image.has('b'), false);
  t.equal(Buffer.concat(staged.chunks).toString(), fileText([entryText('a', 1), entryText('b', 2)]));
  staged.apply();
  t.strictSame([...image.entries()], [['a', 1], ['b', 2]]);
  for (let i = 0; i < 2000; i++) image.append([item(`k${i}`, 'v'.repeat(100))]).apply(); // grows past its first buffer
  t.equal(image.size, 2002);
  t.equal(image.get('k1999'), 'v'.repeat(100));
  t.equal(image.get('a'), 1);
});

t.test('memory per cached invite is bounded: under 1 KB, file bytes included', async (t) => {
  const dir = t.testdir();
  const now = Math.floor(Date.now() / 1000);
  const COUNT = 10_000;
  const tokens = Array.from({ length: COUNT }, () => randomBytes(18).toString('base64url'));
  mkdirSync(join(dir, 'example%2ecom'), { mode: 0o750 });
  const file = join(dir, 'example%2ecom', 'invite_token.dat');
  writeFileSync(file, fileText(tokens.map((token) => entryText(token, invite(token, now)))), { mode: 0o640 });
  const fileBytes = statSync(file).size;

  const used = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await turn(); // buffers' memory is given back after the collection
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = await used();
  const driver = new InternalDriver({ dataPath: dir, options: new Map(), log: () => {} });
  const store = driver.open('example.com', 'invite_token', 'map');
  t.strictSame(await store.get(null, tokens[1234]!), invite(tokens[1234]!, now));
  for (let i = 0; i < 20; i++) await store.set(null, `new${i}`, invite(`new${i}`, now)); // appends, as the API does
  const perInvite = ((await used()) - before) / COUNT;
  t.ok(perInvite < 1024, `${perInvite.toFixed(0)} bytes per cached invite (the file holds ${(fileBytes / COUNT).toFixed(0)})`);
  t.strictSame(await store.get(null, 'new19'), invite('new19', now), 'the store is still cached and correct');
  await driver.close();
});

t.test('a big file taken unchecked takes appends, then adopts its check', async (t) => {
  const now = 1_700_000_000;
  const tokens = Array.from({ length: 4000 }, (_, i) => `t${i}`);
  const bytes = Buffer.from(fileText(tokens.map((k) => entryText(k, invite(k, now)))));
  t.ok(bytes.length >= UNCHECKED_FROM);
  const own = () => {
    const buffer = Buffer.allocUnsafeSlow(bytes.length + 1024);
    bytes.copy(buffer);
    return { bytes: buffer.subarray(0, bytes.length), buffer };
  };

  t.test("Prosody's layout: the appended keys come after the file's own", async (t) => {
    const { bytes: b, buffer } = own();
    const image = FileImage.unchecked('x.dat', b, buffer)!;
    t.equal(image.unchecked, true);
    const checking = FileImage.layout('x.dat', Buffer.from(b)); // of a copy taken before the appends
    image.append([item('new1', 1)]).apply(); // over the tail
    image.append([item('new2', 'x'.repeat(2000))]).apply(); // past the buffer: a new one
    t.equal(image.has('t0'), false, 'unchecked: only what was appended is known');
    t.equal(image.adopt(await checking), true);
    t.equal(image.unchecked, false);
    t.strictSame([...image.keys()].slice(-3), ['t3999', 'new1', 'new2']);
    t.equal(image.size, 4002);
    t.strictSame(image.get('t17'), invite('t17', now));
    t.equal(text(image), bytes.toString('latin1').slice(0, -4) + entryText('new1', 1) + entryText('new2', 'x'.repeat(2000)) + '\n};\n');
  });

  t.test('a key the file had, appended again, or a file in another layout: not adopted', async (t) => {
    const { bytes: b, buffer } = own();
    const image = FileImage.unchecked('x.dat', b, buffer)!;
    const checking = FileImage.layout('x.dat', Buffer.from(b));
    image.append([item('t5', 'again')]).apply();
    t.equal(image.adopt(await checking), false);
    const other = Buffer.from(bytes.toString('latin1').replace('\n\t["t9"]', ' ["t9"]'), 'latin1');
    const otherImage = FileImage.unchecked('y.dat', other, other)!;
    t.ok(otherImage, 'it starts and ends as Prosody writes');
    t.equal(await FileImage.layout('y.dat', other), null, 'but its check finds another layout');
    t.equal(otherImage.adopt(null), false);
    await t.rejects(FileImage.layout('z.dat', Buffer.from(b.toString('latin1').replace('["t9"] = {', '["t9"] = { oops'), 'latin1')), { code: 'ERR_STORAGE_PARSE' });
  });

  t.test('small files, and files that do not start or end as Prosody writes, are never taken unchecked', async (t) => {
    const small = Buffer.from(fileText([entryText('a', 1)]));
    t.equal(FileImage.unchecked('x.dat', small, small), null);
    const { bytes: b } = own();
    for (const odd of [Buffer.concat([Buffer.from('-- hi\n'), b]), Buffer.concat([b.subarray(0, -4), Buffer.from('\n}\n')]), Buffer.from(b.toString('latin1').replace(/;\n};\n$/, '\n};\n'), 'latin1')]) {
      t.equal(FileImage.unchecked('x.dat', odd, odd), null);
    }
  });
});
