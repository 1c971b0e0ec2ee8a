import { GantryError } from '../../domain/errors.js';
import { msg } from '../../i18n/voice.js';
import { applyEdits, type Edit } from '../updaters/text-edits.js';
import type { Change, Colour, TrafficFile, TrafficFormat, TrafficFormatName, TrafficRead, TrafficWrite, Weights } from './types.js';
import { refuse } from './refuse.js';

/**
 * The part every traffic format shares: a format only scans a file into splits (each place that
 * decides where traffic goes: a route rule, a Service, a canary Ingress). This module turns splits
 * into the TrafficFormat contract: they must all agree, writes check the weights asked for, edit
 * every split alike and re-read the output.
 */

export interface SplitEdit {
  edit: Edit;
  line: number;
  colour: Colour;
  before: string;
  after: string;
}

export interface Split {
  /** the line errors about the split as a whole point at */
  line: number;
  /** what it routes now, already checked (whole percents adding up to 100) */
  weights: Weights;
  /** lines of the values that say so */
  lines: number[];
  /** the edits that make it route `weights` (none when it already does) */
  plan(weights: Weights): SplitEdit[];
}

/** Scans `content` into splits: at least one, or it throws a ManifestError saying why. */
export type TrafficScanner = (content: string, file: TrafficFile) => Split[];

export function makeTrafficFormat(format: TrafficFormatName, switchOnly: boolean, scan: TrafficScanner): TrafficFormat {
  const read = (content: string, file: TrafficFile): TrafficRead => agree(scan(content, file), file);
  return {
    format,
    switchOnly,
    read,
    write(content, file, weights) {
      checkWeights(weights);
      const splits = scan(content, file);
      agree(splits, file);
      if (switchOnly && weights.blue !== 0 && weights.green !== 0) {
        const params = { format, blue: String(weights.blue), green: String(weights.green) };
        refuse('MANIFEST_UNSUPPORTED', file, splits[0]?.line, 'error.traffic.switch-only', params);
      }
      return write(read, content, file, weights, splits.flatMap((split) => split.plan(weights)));
    },
  };
}

/** Whole percents adding up to 100: the only weights a caller may ask for. */
export function checkWeights(weights: Weights): void {
  const ok = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 100;
  if (!ok(weights.blue) || !ok(weights.green) || weights.blue + weights.green !== 100) {
    const params = { blue: String(weights.blue), green: String(weights.green) };
    throw new GantryError('INPUT_INVALID', msg('error.traffic.bad-weights', params));
  }
}

/** Every split must route alike: otherwise which colour is live depends on the request. */
function agree(splits: Split[], file: TrafficFile): TrafficRead {
  const first = splits[0];
  if (!first) throw new Error(`traffic scanner returned no split for ${file.file}`);
  for (const split of splits.slice(1)) {
    if (split.weights.blue !== first.weights.blue || split.weights.green !== first.weights.green) {
      const params = {
        blueWeight: String(split.weights.blue),
        greenWeight: String(split.weights.green),
        line: String(first.line),
        blueThere: String(first.weights.blue),
        greenThere: String(first.weights.green),
      };
      refuse('MANIFEST_INVALID', file, split.line, 'error.traffic.disagree', params);
    }
  }
  const lines = [...new Set(splits.flatMap((split) => split.lines))].sort((a, b) => a - b);
  return { weights: { ...first.weights }, lines };
}

function write(
  read: TrafficFormat['read'],
  content: string,
  file: TrafficFile,
  weights: Weights,
  planned: SplitEdit[],
): TrafficWrite {
  if (planned.length === 0) return { content, changes: [] };
  const changes: Change[] = planned.map((p) => ({
    file: file.file,
    line: p.line,
    image: `traffic:${p.colour}`,
    before: p.before,
    after: p.after,
  }));
  let output: string;
  try {
    output = applyEdits(content, planned.map((p) => p.edit));
  } catch (e) {
    refuse('MANIFEST_UNSUPPORTED', file, planned[0]?.line, 'error.manifest.overlap', { error: (e as Error).message });
  }
  let after: TrafficRead;
  try {
    after = read(output, file);
  } catch (e) {
    refuse('MANIFEST_UNSUPPORTED', file, planned[0]?.line, 'error.manifest.would-not-parse', { error: (e as Error).message });
  }
  if (after.weights.blue !== weights.blue || after.weights.green !== weights.green) {
    const params = { image: 'traffic', got: describe(after.weights), want: describe(weights) };
    refuse('MANIFEST_UNSUPPORTED', file, planned[0]?.line, 'error.manifest.reads-otherwise', params);
  }
  return { content: output, changes };
}

function describe(weights: Weights): string {
  return `blue ${weights.blue}% / green ${weights.green}%`;
}

/** The backend names of each colour (a Service selector defaults to the values blue and green). */
export function colourNames(file: TrafficFile): Record<Colour, string> {
  return { blue: file.blue ?? 'blue', green: file.green ?? 'green' };
}

/** Which colour a backend name is, if any. */
export function colourOf(file: TrafficFile, backend: string | undefined): Colour | undefined {
  const names = colourNames(file);
  return backend === names.blue ? 'blue' : backend === names.green ? 'green' : undefined;
}
