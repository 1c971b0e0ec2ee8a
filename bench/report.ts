import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The joint benchmark report. Every benchmark module (promote, and later webhook ingest, docker
 * build, Slack ack, …) returns figures; `run.ts` merges them, prints one markdown table and writes
 * `bench/report.json`, an array of entries `{ name, unit, value, baseline, ratio }`.
 */

/** One line of bench/report.json. Names are `<benchmark>.<figure>`, e.g. `promote.median`. */
export interface Entry {
  name: string;
  unit: string;
  value: number;
  /** the same thing done the plain way, measured in the same run; null when there is none */
  baseline: number | null;
  /** value / baseline; null without a baseline */
  ratio: number | null;
}

/** An entry plus what it is aimed at (shown in the table, not written to the JSON). */
export interface Figure extends Entry {
  /** the ratio should be at most this */
  maxRatio?: number;
  /** the value should stay under this (an absolute aim, in `unit`) */
  maxValue?: number;
}

/** What run.ts lends every benchmark. */
export interface BenchContext {
  /** the project root */
  root: string;
  /** bench/work (or BENCH_WORK_DIR): gitignored scratch space */
  workDir: string;
  /** where generated deploy repos are cached (`deploy-repo/<key>/`): workDir, or BENCH_REPO_CACHE */
  repoCache: string;
  /** a Redis to use (started on first call, stopped by run.ts); give your keys a unique prefix */
  redisUrl(): Promise<string>;
  /** deletes every key under `prefix:` */
  wipePrefix(prefix: string): Promise<void>;
  /** progress lines (stderr), so stdout stays the report */
  log(line: string): void;
  /** markdown printed after the table (details such as a per-phase breakdown) */
  note(markdown: string): void;
}

/** A benchmark module: measures something against its baseline, in the same run. */
export interface Benchmark {
  name: string;
  /** left out of a run that names no benchmark: it runs only when named (a long one) */
  onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<Figure[]>;
}

/** Median and p95 (nearest rank) of samples. */
export function summarize(samples: readonly number[]): { median: number; p95: number; min: number; max: number } {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const rank = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, p95: rank(0.95), min: s[0]!, max: s[s.length - 1]! };
}

/** `<name>.median` and `<name>.p95` of samples against baseline samples. */
export function compare(name: string, unit: string, samples: readonly number[], baseline: readonly number[], maxRatio?: number): Figure[] {
  const a = summarize(samples);
  const b = summarize(baseline);
  return (['median', 'p95'] as const).map((k) => ({
    name: `${name}.${k}`,
    unit,
    value: round(a[k]),
    baseline: round(b[k]),
    ratio: round(a[k] / b[k], 3),
    ...(maxRatio !== undefined ? { maxRatio } : {}),
  }));
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The markdown table printed at the end of a run. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => {
    const aims = [
      ...(f.maxRatio === undefined ? [] : [`≤ ${f.maxRatio}${f.ratio === null ? '' : f.ratio <= f.maxRatio ? ' ✓' : ' ✗'}`]),
      ...(f.maxValue === undefined ? [] : [`< ${f.maxValue} ${f.unit}${f.value < f.maxValue ? ' ✓' : ' ✗'}`]),
    ];
    const target = aims.length ? aims.join(', ') : '—';
    return [f.name, f.unit, String(f.value), f.baseline === null ? '—' : String(f.baseline), f.ratio === null ? '—' : `${f.ratio}×`, target];
  });
  const head = ['figure', 'unit', 'value', 'baseline', 'ratio', 'target'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Only the JSON keys of an entry. */
export function toEntry(f: Figure): Entry {
  return { name: f.name, unit: f.unit, value: f.value, baseline: f.baseline, ratio: f.ratio };
}

/**
 * Writes the report. With `keep`, entries already in the file whose names are not among the new
 * ones stay (a run of only some benchmarks updates their lines and leaves the others).
 */
export function writeReport(file: string, figures: readonly Figure[], keep = false): Entry[] {
  const fresh = figures.map(toEntry);
  const names = new Set(fresh.map((e) => e.name));
  const old = keep && existsSync(file) ? readEntries(file).filter((e) => !names.has(e.name)) : [];
  const all = [...old, ...fresh];
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(tmp, file);
  return all;
}

function readEntries(file: string): Entry[] {
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(data) ? (data as Entry[]) : [];
  } catch {
    return [];
  }
}

/** A benchmark setting from the environment (e.g. BENCH_ITERATIONS): a whole number from `min` to 100,000. */
export function envInt(name: string, fallback: number, min = 1): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > 100_000) throw new Error(`${name} must be an integer from ${min} to 100000`);
  return n;
}
