/**
 * The ceiling: a bare node:http server answering every request as /invites_api does (201, a
 * random invite Location, empty body), with no routing, auth or storage. Run in its own process
 * so that it, like Canto, does not share an event loop with the load generator.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const server = createServer((_request, response) => {
  const token = randomBytes(18).toString('base64url');
  response.writeHead(201, { Location: `xmpp:example.com?register;preauth=${token}`, 'Content-Length': '0' });
  response.end();
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stderr.write(`ceiling listening on 127.0.0.1:${address.port}\n`);
});
