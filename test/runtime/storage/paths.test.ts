import t from 'tap';
import { dataFile, decode, encode, hostDir, storeDir, storeEncode } from '../../../runtime/storage/paths.js';

// Expected paths are what Prosody 0.12.3's util/datamanager.lua getpath printed under lua5.4.
t.test('paths are the ones Prosody computes', async (t) => {
  t.equal(dataFile('/D', 'example.com', 'invite-api.keys', 'user.name-x_y'), '/D/example%2ecom/invite%2dapi%2ekeys/user%2ename%2dx%5fy.dat');
  t.equal(dataFile('/D', 'example.com', 'invite_token', null), '/D/example%2ecom/invite_token.dat');
  t.equal(dataFile('/D', 'xn--bcher-kva.example', 'st ore_1', 'Ünï@x'), '/D/xn%2d%2dbcher%2dkva%2eexample/st%20ore_1/%c3%9cn%c3%af%40x.dat');
  t.equal(dataFile('/D', null, 's', null), '/D/_global/s.dat');
  t.equal(hostDir('/D', 'example.com'), '/D/example%2ecom');
  t.equal(storeDir('/D', 'example.com', 'invite_token'), '/D/example%2ecom/invite_token');
});

t.test('host and user names encode every byte but letters and digits, in lower-case hex', async (t) => {
  t.equal(encode('example.com'), 'example%2ecom');
  t.equal(encode('Alice_42'), 'Alice%5f42');
  t.equal(encode('café'), 'caf%c3%a9');
  t.equal(encode('a/../b'), 'a%2f%2e%2e%2fb');
  t.equal(encode(''), '');
});

t.test('store names keep the underscore', async (t) => {
  t.equal(storeEncode('invite_token'), 'invite_token');
  t.equal(storeEncode('invite-api.keys'), 'invite%2dapi%2ekeys');
});

t.test('decoding undoes both encoders and accepts upper-case hex', async (t) => {
  for (const s of ['example.com', 'user.name-x_y', 'Ünï@x', '日本', '%literal%']) {
    t.equal(decode(encode(s)), s);
    t.equal(decode(storeEncode(s)), s);
  }
  t.equal(decode('example%2Ecom'), 'example.com');
  t.equal(decode('100%'), '100%');
});
