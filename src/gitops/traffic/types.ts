import type { Change } from '../updaters/types.js';
import type { TrafficFile, TrafficFormatName } from './schema.js';

export type { Change } from '../updaters/types.js';
export type { TrafficFile, TrafficFormatName } from './schema.js';

/**
 * The one contract every traffic-split format implements (src/gitops/traffic/<format>.ts), listed in
 * src/gitops/traffic/index.ts. Like the image updaters, they edit text and never re-serialize: the
 * output differs from the input only in the values that changed, in their own quoting style.
 *
 * Errors are ManifestError naming the file and line:
 * - MANIFEST_INVALID: the file does not parse, or routes in a way gantry cannot read as one split
 *   (weights not adding up to 100, two places routing differently, both colours selected);
 * - MANIFEST_IMAGE_NOT_FOUND: no resource of the kind, or none routing to the colours, or a place that
 *   routes to one colour only;
 * - MANIFEST_UNSUPPORTED: a value that cannot be edited safely (absent, templated, anchored, aliased,
 *   not an integer), a backend gantry does not know in a split, or a weight a switch-only format cannot hold.
 * Weights passed to write() that are not whole percents adding up to 100 are INPUT_INVALID (GantryError).
 */

export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];

/** Integer percents, blue + green = 100. */
export interface Weights {
  blue: number;
  green: number;
}

export interface TrafficRead {
  weights: Weights;
  /** 1-based lines of the values that say so (weights, the selector), in file order */
  lines: number[];
}

export interface TrafficWrite {
  content: string;
  /** one per value that changed; `image` is `traffic:<colour>`; empty when the file already routes so */
  changes: Change[];
}

export interface TrafficFormat {
  readonly format: TrafficFormatName;
  /** true when the format can only send all traffic to one colour (weights 0/100) */
  readonly switchOnly: boolean;
  /** What the file routes now. */
  read(content: string, file: TrafficFile): TrafficRead;
  /** Sets the weights; re-reads its output to prove it; throws (writing nothing) when it cannot. */
  write(content: string, file: TrafficFile, weights: Weights): TrafficWrite;
}
