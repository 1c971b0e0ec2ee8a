import type { BlueGreenDeploy, DeployFile } from '../../config/schema.js';
import type { GitObjects } from '../objects.js';
import { parseDeployTrailers } from '../trailers.js';
import type { FileReader, VersionSelector } from '../env-history.js';
import { versionIn } from '../targets.js';
import { getTrafficFormat, type Colour, type Weights } from './traffic-port.js';

/**
 * Where a blue-green app stands in one environment, read from the deploy repo: each colour's
 * version (its files), the weights (the traffic file), and which colour is new (the colour the
 * newest promotion wrote, from its Gantry-Color trailer).
 */
export interface BlueGreenState {
  versions: { blue?: string; green?: string };
  weights: Weights;
  /** the colour the newest promotion wrote: /shift moves traffic to it, /rollback away from it */
  fresh: Colour;
  /** the colour that serves: the new one once it has all traffic, else the old one */
  live: Colour;
}

export const otherColour = (c: Colour): Colour => (c === 'blue' ? 'green' : 'blue');

/** Traffic moves between these: neither colour has all of it. */
export const isShifting = (w: Weights): boolean => w.blue > 0 && w.green > 0;

export const liveOf = (w: Weights, fresh: Colour): Colour => (w[fresh] === 100 ? fresh : otherColour(fresh));

/** What to read the state with: the files at one revision and their history. */
export interface StateSource {
  target: BlueGreenDeploy;
  app: string;
  env: string;
  read: (rel: string) => Promise<string>;
  readersOf: (files: DeployFile[]) => FileReader[];
  objects: GitObjects;
  rev: string;
}

/** How far back the newest promotion's colour is looked for among commits to the colours' files. */
const COLOUR_DEPTH = 100;

export async function readBlueGreen(s: StateSource): Promise<BlueGreenState> {
  const { weights } = getTrafficFormat(s.target.traffic.format).read(await s.read(s.target.traffic.file), s.target.traffic);
  const versions: BlueGreenState['versions'] = {};
  for (const c of ['blue', 'green'] as const) {
    const first = s.readersOf(s.target[c])[0]!;
    const v = versionIn(first, await s.read(first.file.file));
    if (v !== undefined) versions[c] = v;
  }
  const fresh = (await promotedColour(s)) ?? (weights.blue < weights.green ? 'blue' : 'green');
  return { versions, weights, fresh, live: liveOf(weights, fresh) };
}

/** The Gantry-Color of the newest promotion of the app here (whoever pushed since, the files say the versions). */
async function promotedColour(s: StateSource): Promise<Colour | undefined> {
  const paths = [...s.target.blue, ...s.target.green].map((f) => f.file);
  for (const c of await s.objects.pathLog(s.rev, paths, COLOUR_DEPTH)) {
    const t = parseDeployTrailers(c.message);
    if (t && t.app === s.app && t.env === s.env && (t.action === 'promote' || t.action === 'auto') && t.color) return t.color;
  }
  return undefined;
}

/**
 * For history read commit by commit (src/gitops/env-history.ts): the version that ran is the
 * version of the colour with most of the traffic (no promotion trailer is read per commit; on a
 * tie, blue), so a traffic move is a change of what runs and a promotion to the idle colour is not.
 */
export function liveSelector(target: BlueGreenDeploy): VersionSelector {
  const { traffic } = target;
  return {
    paths: [traffic.file],
    pick(texts) {
      const text = texts.get(traffic.file);
      if (text === undefined) return undefined;
      try {
        const { weights } = getTrafficFormat(traffic.format).read(text, traffic);
        return target[weights.green > weights.blue ? 'green' : 'blue'][0]!.file;
      } catch {
        return undefined; // a broken traffic file at some commit says nothing about what ran
      }
    },
  };
}
