// Histograms and counters for the families observed on the request and replication paths, where
// prom-client's own classes cost 2-4 µs per observation (a closure, label validation and a label
// hash on every call). Here a label set is resolved once to a cell, and observing is arithmetic on
// that cell. They register in a prom-client Registry like its own metrics and render the same
// samples (same names, labels and values), so scrapes, the OpenMetrics view and the JSON view are
// unchanged.
import type { Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface MetricSample {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: Record<string, string>;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram' | 'counter';
  readonly values: MetricSample[];
  readonly aggregator: 'sum';
}

interface FamilyOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly registers?: readonly Registry[];
}

/**
 * Label sets by a key of their values in labelNames order. An unknown label name throws, as with
 * prom-client; so does a missing one (prom-client would make a series without it: never meant).
 */
abstract class CellFamily<Cell, L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum' as const;
  protected readonly cells = new Map<string, { labels: Labels; cell: Cell }>();
  /** Whether an unobserved series is rendered (prom-client's zero series of unlabelled families). */
  protected showIdle = false;

  constructor(options: FamilyOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
  }

  /** Called at the end of a subclass's constructor, once cells can be made. */
  protected start(registers: readonly Registry[] | undefined): void {
    // Like prom-client, a family without labels shows its zero series before the first observation.
    this.showIdle = this.labelNames.length === 0;
    if (this.showIdle) this.cellFor({});
    for (const registry of registers ?? []) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The cell of one label set: resolve it once and keep it where the same labels recur. */
  cellFor(labels: Partial<Record<L, string>>): Cell {
    let key = '';
    for (const name of this.labelNames) {
      const v = labels[name];
      if (typeof v !== 'string') throw new Error(`${this.name}: label "${name}" is missing`);
      key += `${v}\u0000`;
    }
    let given = 0;
    for (const _ in labels) given++;
    if (given !== this.labelNames.length) {
      const unknown = Object.keys(labels).find((name) => !(this.labelNames as readonly string[]).includes(name));
      throw new Error(`${this.name}: unknown label "${unknown}"`);
    }
    const found = this.cells.get(key);
    if (found !== undefined) return found.cell;
    const cell = this.newCell();
    this.cells.set(key, { labels: { ...labels } as Labels, cell });
    return cell;
  }

  /**
   * A labelled series appears once it has been observed, as with prom-client (a cell resolved
   * ahead of use stays out of scrapes until then); the one series of an unlabelled family is
   * always there.
   */
  protected shown(used: boolean): boolean {
    return used || this.showIdle;
  }

  /** Zeroes every series; cells handed out stay valid (callers keep them). */
  reset(): void {
    for (const { cell } of this.cells.values()) this.zero(cell);
  }

  protected abstract newCell(): Cell;
  protected abstract zero(cell: Cell): void;
}

export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

export class FastHistogram<L extends string = string> extends CellFamily<HistogramCell, L> {
  readonly type = 'histogram' as const;
  readonly upperBounds: readonly number[];

  constructor(options: FamilyOptions<L> & { readonly buckets: readonly number[] }) {
    super(options);
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
    this.start(options.registers);
  }

  /** prom-client's signature: observe(value) or observe(labels, value). */
  observe(labelsOrValue: Partial<Record<L, string>> | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.cellFor({}).observe(labelsOrValue);
    else this.cellFor(labelsOrValue).observe(value ?? Number.NaN);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.upperBounds);
  }

  protected zero(cell: HistogramCell): void {
    cell.counts.fill(0);
    cell.sum = 0;
    cell.count = 0;
  }

  override reset(): void {
    super.reset();
    // prom-client's histogram drops even the zero series of an unlabelled family on reset.
    this.showIdle = false;
  }

  /** What prom-client's text renderer reads: `le` as the sample's label, the family's labels shared. */
  async getForPromString(): Promise<MetricData> {
    const values: MetricSample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, cell } of this.cells.values()) {
      if (!this.shown(cell.count > 0)) continue;
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += cell.counts[i]!;
        values.push({ labels: { le: this.upperBounds[i]! }, sharedLabels: { ...labels }, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: { ...labels }, value: cell.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: { ...labels }, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: { ...labels }, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON view: every sample's labels in one object, as prom-client's get() returns them. */
  async get(): Promise<MetricData> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }
}

export class CounterCell {
  value = 0;
  touched = false;

  inc(by = 1): void {
    if (!Number.isFinite(by)) throw new TypeError(`Value is not a valid number: ${by}`);
    if (by < 0) throw new Error('It is not possible to decrease a counter');
    this.value += by;
    this.touched = true;
  }
}

export class FastCounter<L extends string = string> extends CellFamily<CounterCell, L> {
  readonly type = 'counter' as const;

  constructor(options: FamilyOptions<L>) {
    super(options);
    this.start(options.registers);
  }

  /** prom-client's signature: inc(), inc(value), inc(labels) or inc(labels, value). */
  inc(labelsOrValue?: Partial<Record<L, string>> | number, value?: number): void {
    if (labelsOrValue === undefined || typeof labelsOrValue === 'number') this.cellFor({}).inc(labelsOrValue ?? 1);
    else this.cellFor(labelsOrValue).inc(value ?? 1);
  }

  protected newCell(): CounterCell {
    return new CounterCell();
  }

  protected zero(cell: CounterCell): void {
    cell.value = 0;
    cell.touched = false;
  }

  async get(): Promise<MetricData> {
    const values = [...this.cells.values()].filter(({ cell }) => this.shown(cell.touched)).map(({ labels, cell }) => ({ labels: { ...labels }, value: cell.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
