/**
 * The process's metrics (Prosody's core/statsmanager + util/openmetrics): counters, gauges and
 * histograms in families with labels, rendered in the OpenMetrics text format as Prosody's
 * mod_http_openmetrics renders them (`_total` and `_created` for counters, cumulative
 * `_bucket{le=...}` with `+Inf`, `_sum`, `_count` for histograms, `# EOF` at the end). The host
 * measures HTTP and storage here; modules add theirs with `module.measure`; anything that wants
 * the numbers calls `metrics.render()` (GET /metrics) or `metrics.read(name)` (the admin API).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string>>;

export interface MetricOptions {
  /** `# HELP` text. */
  description?: string;
  /** Appended to the name (`_seconds`) and given as `# UNIT`, as Prosody's compose_name. */
  unit?: string;
  /** Histogram bucket upper bounds; `+Inf` is always added. */
  buckets?: readonly number[];
}

/** A counter only goes up. */
export interface Counter {
  add(amount?: number, labels?: Labels): void;
}
/** A gauge is set to the current value. */
export interface Gauge {
  set(value: number, labels?: Labels): void;
  add(amount: number, labels?: Labels): void;
}
/** A histogram counts samples into buckets (durations in seconds, sizes). */
export interface Histogram {
  sample(value: number, labels?: Labels): void;
}
export type Metric<T extends MetricType> = T extends 'counter' ? Counter : T extends 'gauge' ? Gauge : Histogram;

/** Seconds, from a millisecond to ten seconds. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Counts, for batch sizes. */
export const SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** One series as read back: a histogram's `value` is its sum, `count` its samples. */
export interface SeriesSnapshot {
  labels: Labels;
  value: number;
  /** Unix seconds when the series was first measured (OpenMetrics `_created`). */
  created: number;
  count?: number;
}

/** A family as read back (Prosody's metric family from get_metric_families()). */
export interface FamilySnapshot {
  name: string;
  type: MetricType;
  series: SeriesSnapshot[];
}

interface Series {
  labels: Labels;
  created: number;
  value: number;
  /** Histograms: samples at or below each bound (cumulative, as OpenMetrics wants). */
  counts?: number[];
  count?: number;
}

/** Prosody's escape_name: `/` becomes `__`, anything else outside [A-Za-z0-9_] becomes `_`. */
export const metricName = (name: string) => name.replace(/\//g, '__').replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z_]/, '_$&');
const escape = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const number = (v: number) => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** A series' identity: its labels, in name order. */
function seriesKey(all: Labels): string {
  const names = Object.keys(all);
  if (names.length === 0) return '';
  if (names.length > 1) names.sort();
  let key = '';
  for (const n of names) key += `${JSON.stringify(n)}=${JSON.stringify(all[n])},`;
  return key;
}

class Family {
  readonly series = new Map<string, Series>();
  readonly buckets: readonly number[];
  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly options: MetricOptions,
  ) {
    this.buckets = [...(options.buckets ?? DURATION_BUCKETS), Infinity];
  }

  at(all: Labels): Series {
    return this.series.get(seriesKey(all)) ?? this.#add(all);
  }

  #add(all: Labels): Series {
    const key = seriesKey(all);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: all, created: Date.now() / 1000, value: 0 };
      if (this.type === 'histogram') {
        s.counts = this.buckets.map(() => 0);
        s.count = 0;
      }
      this.series.set(key, s);
    }
    return s;
  }

  render(out: string[]): void {
    const name = metricName(this.name);
    out.push(`# HELP ${name} ${(this.options.description ?? '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# UNIT ${name} ${this.options.unit ?? ''}`);
    out.push(`# TYPE ${name} ${this.type}`);
    for (const s of this.series.values()) {
      const labels = (extra: Labels = {}) => {
        const all = Object.entries({ ...s.labels, ...extra }).map(([k, v]) => `${metricName(k)}="${escape(v)}"`);
        return all.length ? `{${all.join(',')}}` : '';
      };
      if (this.type === 'counter') {
        out.push(`${name}_total${labels()} ${number(s.value)}`, `${name}_created${labels()} ${number(s.created)}`);
      } else if (this.type === 'gauge') {
        out.push(`${name}${labels()} ${number(s.value)}`);
      } else {
        this.buckets.forEach((le, i) => out.push(`${name}_bucket${labels({ le: number(le) })} ${s.counts![i]}`));
        out.push(`${name}_sum${labels()} ${number(s.value)}`, `${name}_count${labels()} ${s.count}`, `${name}_created${labels()} ${number(s.created)}`);
      }
    }
  }
}

export class MetricRegistry {
  readonly #families = new Map<string, Family>();
  readonly #collectors = new Set<() => void>();

  /**
   * Run `collect` before every read and render (Prosody's `stats-update`), for values that are
   * sampled rather than counted where they happen (CPU time, memory).
   */
  onCollect(collect: () => void): void {
    this.#collectors.add(collect);
  }

  #collect(): void {
    for (const collect of this.#collectors) collect();
  }

  /** The family `name` (its full name, unit included) as it stands now, or `undefined` when nothing measured it. */
  read(name: string): FamilySnapshot | undefined {
    this.#collect();
    const family = this.#families.get(name);
    if (!family) return undefined;
    const series = [...family.series.values()].map((s): SeriesSnapshot => ({ labels: { ...s.labels }, value: s.value, created: s.created, ...(s.count === undefined ? {} : { count: s.count }) }));
    return { name: family.name, type: family.type, series };
  }

  /**
   * The metric `name` (with `_unit` appended when a unit is given) of `type`; the same name
   * gives the same family, so a module reloaded keeps counting. `fixed` labels (the host) go
   * on every sample it takes.
   */
  measure<T extends MetricType>(type: T, name: string, options: MetricOptions = {}, fixed: Labels = {}): Metric<T> {
    const full = options.unit ? `${name}_${options.unit}` : name;
    let family = this.#families.get(full);
    if (!family) {
      family = new Family(full, type, options);
      this.#families.set(full, family);
    } else if (family.type !== type) {
      throw new TypeError(`Metric '${full}' is a ${family.type}, not a ${type}`);
    }
    const f = family;
    // The series of the fixed labels alone is looked up once: most samples carry no labels of their own.
    let plain: Series | undefined;
    const at = (labels?: Labels) => (labels === undefined ? (plain ??= f.at({ ...fixed })) : f.at({ ...fixed, ...labels }));
    const metric: Counter & Gauge & Histogram = {
      add(amount = 1, labels) {
        if (!(amount >= 0) && type === 'counter') return; // a counter never goes down
        at(labels).value += amount;
      },
      set(value, labels) {
        at(labels).value = value;
      },
      sample(value, labels) {
        const s = at(labels);
        const { buckets } = f;
        for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) s.counts![i]!++;
        s.value += value;
        s.count!++;
      },
    };
    return metric as Metric<T>;
  }

  /** Everything, in the OpenMetrics text format, ending with `# EOF`. */
  render(): string {
    this.#collect();
    const out: string[] = [];
    for (const family of this.#families.values()) family.render(out);
    out.push('# EOF');
    return out.join('\n') + '\n';
  }
}

/** The process's one registry. */
export const metrics = new MetricRegistry();

/** Seconds since `start` (from `process.hrtime.bigint()`). */
export const secondsSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
