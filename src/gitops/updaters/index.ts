import type { Format } from '../../config/schema.js';
import { compose } from './compose/updater.js';
import { flux } from './flux/updater.js';
import { helm } from './helm/updater.js';
import { kubernetes } from './kubernetes/updater.js';
import { kustomize } from './kustomize/updater.js';
import { marathon } from './marathon/updater.js';
import type { Updater } from './types.js';

export { schemaFragments } from './schemas.js';
export type { Change, FoundImage, ImageSpec, ImageTarget, UpdateResult, Updater } from './types.js';

/**
 * Every manifest format, listed once, each in its own folder (<format>/updater.ts, beside its
 * schema fragment <format>/schema.ts, listed in schemas.ts). Typed as a Record over Format so a
 * format added to the config schema does not compile until it has an updater and a fragment;
 * test/updaters/contract.test.ts then holds each of them to the same contract.
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
