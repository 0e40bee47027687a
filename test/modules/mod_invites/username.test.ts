import t from 'tap';
import { jidNode, nodeprep } from '../../../modules/mod_invites/username.js';

t.test('a username is lower-cased and normalized', async (t) => {
  t.equal(nodeprep('Alice'), 'alice');
  t.equal(nodeprep('ｂｏｂ'), 'bob');
  t.equal(nodeprep('josé'), 'josé');
});

t.test('characters a JID localpart may not hold are refused', async (t) => {
  for (const name of ['', 'a b', 'a@b', 'a/b', 'a:b', 'a"b', "a'b", 'a&b', 'a<b', 'a>b', 'a\tb', 'a\u0000b', 'x'.repeat(1024)]) {
    t.equal(nodeprep(name), undefined, JSON.stringify(name.slice(0, 20)));
  }
});

t.test('the node of a JID is the part before @, none for a bare host', async (t) => {
  t.equal(jidNode('alice@example.com'), 'alice');
  t.equal(jidNode('example.com'), undefined);
});
