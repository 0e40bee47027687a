import t from 'tap';
import { jidNode } from '../../../modules/mod_invites/username.js';

t.test('the node of a JID is the part before @, none for a bare host', async (t) => {
  t.equal(jidNode('alice@example.com'), 'alice');
  t.equal(jidNode('example.com'), undefined);
});
