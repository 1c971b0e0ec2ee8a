import type { BlueGreenDeploy } from '../../config/schema.js';
import type { BlueGreenOutcome, DeployRequest } from '../../domain/deploy.js';
import { GantryError } from '../../domain/errors.js';
import type { ShiftStep } from '../../domain/policy.js';
import { msg } from '../../i18n/voice.js';
import type { RolloutStore } from '../../rollout/store.js';
import { requireStillFailing } from '../rollout-gates.js';
import { isShifting, otherColour, type BlueGreenState } from './state.js';
import { getTrafficFormat, type Colour, type Weights } from './traffic-port.js';

/**
 * The blue-green rules of a deploy, decided against the state the deploy repo is in (refusals
 * change nothing). /promote writes the idle colour; /shift, /switch and /rollback write the
 * traffic file only.
 */

/** The colour /promote writes: the one without traffic, while no shift is under way. */
export function idleColour(state: BlueGreenState, req: DeployRequest, version: string): Colour {
  const { weights: w } = state;
  const params = { app: req.app, env: req.env, blue: w.blue, green: w.green };
  if (isShifting(w)) throw new GantryError('DEPLOY_REFUSED', msg('error.bluegreen.shifting', params));
  const idle: Colour | undefined = w.blue === 0 && w.green > 0 ? 'blue' : w.green === 0 && w.blue > 0 ? 'green' : undefined;
  if (!idle) throw new GantryError('MANIFEST_INVALID', msg('error.bluegreen.no-live', params));
  if (state.versions[idle] === version) {
    throw new GantryError('ALREADY_DEPLOYED', msg('error.bluegreen.idle-has', { app: req.app, version, env: req.env, colour: idle }));
  }
  return idle;
}

/** What a traffic commit does: the weights it writes, and what its trailers and reply say. */
export interface TrafficMove {
  weights: Weights;
  /** the version that gains traffic (shift) or gets it all back (rollback) */
  version: string;
  previousVersion?: string;
  outcome: BlueGreenOutcome;
  /** a shift: for approvals.shift */
  step?: ShiftStep;
  /** a shift that gives the new colour more traffic than it has: rollout gates apply */
  forward: boolean;
}

/** `/shift <n>%`, `/switch` (n = 100) and `/rollback` of a blue-green app. */
export function trafficMove(state: BlueGreenState, req: DeployRequest, target: BlueGreenDeploy): TrafficMove {
  const { fresh, weights: before, versions } = state;
  const old = otherColour(fresh);
  const base = { app: req.app, env: req.env, fresh, old, weight: before[fresh] };
  if (req.action === 'rollback') {
    requireStillFailing(req, versions[fresh]);
    if (before[old] === 100) throw new GantryError('NO_ROLLBACK_TARGET', msg('error.bluegreen.nothing-back', base));
    const version = versions[old];
    if (version === undefined) throw new GantryError('NO_ROLLBACK_TARGET', msg('error.bluegreen.no-version', { ...base, colour: old }));
    requireApproved(req, version, base);
    const weights = colourWeights(old, 100);
    return { weights, version, ...prev(versions[fresh]), outcome: outcome(old, fresh, state, weights), forward: false };
  }
  const to = req.weight!;
  const version = versions[fresh];
  if (version === undefined) throw new GantryError('DEPLOY_REFUSED', msg('error.bluegreen.no-version', { ...base, colour: fresh }));
  requireApproved(req, version, base);
  if (before[fresh] === to) throw new GantryError('ALREADY_DEPLOYED', msg('error.bluegreen.nothing-to-shift', { ...base, version, to }));
  if (to !== 100 && getTrafficFormat(target.traffic.format).switchOnly) {
    const { format, file } = target.traffic;
    throw new GantryError('INPUT_INVALID', msg('error.bluegreen.switch-only', { ...base, format, file, to }));
  }
  const weights = colourWeights(fresh, to);
  return {
    weights,
    version,
    ...prev(versions[old]),
    outcome: outcome(fresh, fresh, state, weights),
    step: { first: before[fresh] === 0, complete: to === 100 },
    forward: to > before[fresh],
  };
}

/**
 * An approved shift or rollback names the version it was approved for (src/approvals/service.ts):
 * if another version has been promoted since, it was not approved.
 */
function requireApproved(req: DeployRequest, version: string, base: { app: string; env: string }): void {
  if (req.version === undefined || req.version === version) return;
  throw new GantryError('DEPLOY_REFUSED', msg('error.bluegreen.moved-on', { ...base, asked: req.version, version }));
}

/**
 * A forward shift waits for the new colour's deploy to be live and healthy, when gantry follows
 * the environment: traffic goes to what Argo CD or Flux says runs, never to what is still syncing.
 */
export async function requireLive(rollouts: Pick<RolloutStore, 'latest'>, req: DeployRequest, version: string): Promise<void> {
  const f = await rollouts.latest(req.app, req.env);
  if (f && f.version === version && f.state === 'live') return;
  const state = f && f.version === version ? f.state : 'unknown';
  throw new GantryError('DEPLOY_REFUSED', msg('error.bluegreen.not-live', { app: req.app, version, env: req.env, state }));
}

function colourWeights(colour: Colour, percent: number): Weights {
  return colour === 'blue' ? { blue: percent, green: 100 - percent } : { blue: 100 - percent, green: percent };
}

function outcome(colour: Colour, fresh: Colour, state: BlueGreenState, weights: Weights): BlueGreenOutcome {
  const live = weights[fresh] === 100 ? fresh : otherColour(fresh);
  return { colour, live, versions: state.versions, weights, before: state.weights };
}

const prev = (v: string | undefined) => (v !== undefined ? { previousVersion: v } : {});
