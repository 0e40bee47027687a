/**
 * The metrics registry (runtime/metrics.ts) renders what Prosody's util/openmetrics renders:
 * HELP/UNIT/TYPE lines, counters as _total and _created, cumulative histogram buckets with
 * +Inf, _sum and _count, escaped names and label values, and # EOF.
 */
import t from 'tap';
import { MetricRegistry, metricName } from '../../runtime/metrics.js';

const created = (text: string) => text.replace(/_created(\{[^}]*\})? \d+(\.\d+)?/g, '_created$1 T');

t.test('counters, gauges and histograms render in the OpenMetrics text format', async (t) => {
  const registry = new MetricRegistry();
  const hits = registry.measure('counter', 'canto_mod_invites/created', { description: 'Invites created' }, { host: 'example.com' });
  hits.add();
  hits.add(2, { type: 'roster' });
  hits.add(-5); // a counter never goes down
  registry.measure('gauge', 'queue', { description: 'Waiting "now"\nreally' }).set(3);
  const took = registry.measure('histogram', 'commit', { unit: 'seconds', description: 'Commit time', buckets: [0.01, 0.1] });
  took.sample(0.005);
  took.sample(0.05);
  took.sample(5);
  t.equal(
    created(registry.render()),
    [
      '# HELP canto_mod_invites__created Invites created',
      '# UNIT canto_mod_invites__created ',
      '# TYPE canto_mod_invites__created counter',
      'canto_mod_invites__created_total{host="example.com"} 1',
      'canto_mod_invites__created_created{host="example.com"} T',
      'canto_mod_invites__created_total{host="example.com",type="roster"} 2',
      'canto_mod_invites__created_created{host="example.com",type="roster"} T',
      '# HELP queue Waiting "now"\\nreally',
      '# UNIT queue ',
      '# TYPE queue gauge',
      'queue 3',
      '# HELP commit_seconds Commit time',
      '# UNIT commit_seconds seconds',
      '# TYPE commit_seconds histogram',
      'commit_seconds_bucket{le="0.01"} 1',
      'commit_seconds_bucket{le="0.1"} 2',
      'commit_seconds_bucket{le="+Inf"} 3',
      'commit_seconds_sum 5.055',
      'commit_seconds_count 3',
      'commit_seconds_created T',
      '# EOF',
      '',
    ].join('\n'),
  );
});

t.test('the same name is the same metric; another type under it is refused', async (t) => {
  const registry = new MetricRegistry();
  registry.measure('counter', 'x').add();
  registry.measure('counter', 'x').add();
  t.match(registry.render(), /^x_total 2$/m);
  t.throws(() => registry.measure('gauge', 'x'), { message: "Metric 'x' is a counter, not a gauge" });
});

t.test('names and label values are escaped as Prosody escapes them', async (t) => {
  t.equal(metricName('prosody_mod_http/requests-total'), 'prosody_mod_http__requests_total');
  t.equal(metricName('9lives'), '_9lives');
  const registry = new MetricRegistry();
  registry.measure('counter', 'c').add(1, { path: 'a"b\\c\nd' });
  t.match(registry.render(), /^c_total\{path="a\\"b\\\\c\\nd"\} 1$/m);
});

t.test('read() gives a family as it stands, after the collectors ran, as render() does', async (t) => {
  const registry = new MetricRegistry();
  t.equal(registry.read('nothing'), undefined);
  let sampled = 0;
  const gauge = registry.measure('gauge', 'process_resident_memory', { unit: 'bytes' });
  registry.onCollect(() => gauge.set(++sampled * 100));
  const hits = registry.measure('counter', 'hits', {}, { host: 'example.com' });
  hits.add(2);
  hits.add(3, { route: 'x' });
  const read = registry.read('process_resident_memory_bytes')!;
  t.equal(read.type, 'gauge');
  t.same(read.series.map((s) => [s.labels, s.value]), [[{}, 100]], 'collected before the read');
  t.equal(registry.read('process_resident_memory'), undefined, 'the full name, unit included');
  t.match(registry.render(), '\nprocess_resident_memory_bytes 300\n', 'every read collects (two so far), and so does each render');
  const counter = registry.read('hits')!;
  t.same(counter.series.map((s) => [s.labels, s.value]), [[{ host: 'example.com' }, 2], [{ host: 'example.com', route: 'x' }, 3]]);
  t.ok(counter.series.every((s) => s.created > 1_700_000_000 && s.created <= Date.now() / 1000), 'created in Unix seconds');
  const histogram = registry.measure('histogram', 'took', { buckets: [1] });
  histogram.sample(0.5);
  histogram.sample(2);
  t.same(registry.read('took')!.series.map((s) => [s.value, s.count]), [[2.5, 2]], 'a histogram reads as its sum and count');
});
