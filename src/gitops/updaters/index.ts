import type { Format } from '../../config/schema.js';
import { compose } from './compose.js';
import { flux } from './flux.js';
import { helm } from './helm.js';
import { kubernetes } from './kubernetes.js';
import { kustomize } from './kustomize.js';
import { marathon } from './marathon.js';
import type { Updater } from './types.js';

export type { Change, FoundImage, ImageSpec, ImageTarget, UpdateResult, Updater } from './types.js';

/**
 * Every manifest format, listed once. Typed as a Record over Format so a format added to the
 * config schema does not compile until it has an updater; test/updaters/contract.test.ts then
 * holds each of them to the same contract.
 */
export const updaters: Readonly<Record<Format, Updater>> = {
  kubernetes,
  kustomize,
  helm,
  marathon,
  compose,
  flux,
};

export function getUpdater(format: Format): Updater {
  const updater = updaters[format];
  // Format comes from validated config, but a stray string from elsewhere must not crash oddly.
  if (!updater) throw new Error(`no updater for manifest format "${String(format)}"`);
  return updater;
}
