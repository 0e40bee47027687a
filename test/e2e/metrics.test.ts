/**
 * GET /metrics (mod_http_openmetrics) on the real server: the OpenMetrics text with HTTP
 * requests by route and status class, request durations, invites created, API authentication
 * failures and throttled requests, storage commits; and Prosody's access rule (loopback by
 * default, openmetrics_allow_ips / openmetrics_allow_cidr, the client address behind proxies).
 */
import t from 'tap';
import { request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const modules = ['invites', 'invites_api', 'http_openmetrics'];
const asHost = { Host: 'example.com' };

t.test('the counters follow what the server did', async (t) => {
  const server = await startCanto(t, { config: testConfig(modules, 'invites_api_max_failures = 2') });
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'metrics'])).stdout.trim();
  t.equal((await request(server.url(`/invites_api?key=${key}`), { headers: asHost })).status, 201);
  for (const status of [403, 403, 429]) t.equal((await request(server.url('/invites_api?key=nope'), { headers: asHost })).status, status);

  const reply = await request(server.url('/metrics'), { headers: asHost });
  t.equal(reply.status, 200);
  t.equal(reply.headers['content-type'], 'application/openmetrics-text; version=0.0.4');
  const text = reply.body;
  const lines = new Set(text.split('\n'));
  for (const line of [
    '# TYPE canto_http_requests counter',
    'canto_http_requests_total{host="example.com",route="invites_api",method="GET",status="2xx"} 1',
    'canto_http_requests_total{host="example.com",route="invites_api",method="GET",status="4xx"} 3',
    '# TYPE canto_http_request_duration_seconds histogram',
    'canto_http_request_duration_seconds_bucket{host="example.com",route="invites_api",le="+Inf"} 4',
    'canto_http_request_duration_seconds_count{host="example.com",route="invites_api"} 4',
    'canto_mod_invites__created_total{host="example.com",type="register"} 1',
    'canto_mod_invites_api__auth_failures_total{host="example.com"} 2',
    'canto_mod_invites_api__throttled_total{host="example.com"} 1',
    '# TYPE canto_storage_commit_duration_seconds histogram',
    '# TYPE canto_storage_commit_batch_size histogram',
  ]) {
    t.ok(lines.has(line), line);
  }
  t.match(text, /^canto_storage_commit_batch_size_count [1-9]\d*$/m, 'the invite was committed');
  t.match(text, /^canto_storage_commit_duration_seconds_sum \d/m);
  t.ok(text.endsWith('\n# EOF\n'));
});

t.test('only the allowed addresses may read the metrics', async (t) => {
  const server = await startCanto(t, { config: testConfig(modules, 'openmetrics_allow_ips = { "192.0.2.1" }') });
  t.equal((await request(server.url('/metrics'), { headers: asHost })).status, 403, 'loopback is no longer allowed');
  t.equal((await request(server.url('/metrics'), { headers: { ...asHost, 'X-Forwarded-For': '192.0.2.1' } })).status, 200, 'the client behind a trusted proxy is');
  t.equal((await request(server.url('/metrics'), { headers: { ...asHost, 'X-Forwarded-For': '192.0.2.2' } })).status, 403);

  const byCidr = await startCanto(t, { config: testConfig(modules, 'openmetrics_allow_ips = { }\nopenmetrics_allow_cidr = "192.0.2.0/24"') });
  t.equal((await request(byCidr.url('/metrics'), { headers: { ...asHost, 'X-Forwarded-For': '192.0.2.200' } })).status, 200);
  t.equal((await request(byCidr.url('/metrics'), { headers: asHost })).status, 403);

  const byDefault = await startCanto(t, { config: testConfig(modules) });
  t.equal((await request(byDefault.url('/metrics'), { headers: asHost })).status, 200, 'loopback by default');
  t.equal((await request(byDefault.url('/metrics'), { headers: { ...asHost, 'X-Forwarded-For': '203.0.113.9' } })).status, 403, 'not a remote client');
});
