import { runPromoteScenario } from './promote-scenario.js';
import type { Benchmark } from './report.js';
import { PROMOTE_SPEC } from './specs.js';

/**
 * `/promote` and `/history` on a generated deploy repo of 2,000 manifests and 10,000 commits,
 * against the git CLI alone (bench/promote-scenario.ts).
 */
export const promoteBench: Benchmark = {
  name: 'promote',
  run: (ctx) => runPromoteScenario(ctx, { name: 'promote', spec: PROMOTE_SPEC, promoteTarget: 1.0, grepHistory: true }),
};
