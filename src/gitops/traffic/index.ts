import { httproute } from './httproute.js';
import { istio } from './istio.js';
import { nginxCanary } from './nginx-canary.js';
import { service } from './service.js';
import type { TrafficFormat, TrafficFormatName } from './types.js';

export { TRAFFIC_FORMATS, TrafficFileSchema, TrafficFormatNameSchema } from './schema.js';
export { checkWeights } from './engine.js';
export { COLOURS } from './types.js';
export type { Colour, TrafficFile, TrafficFormat, TrafficFormatName, TrafficRead, TrafficWrite, Weights } from './types.js';

/**
 * Every traffic-split format, listed once. Typed as a Record over the names in TRAFFIC_FORMATS so a
 * name added there does not compile until it has an editor; test/gitops/traffic-golden.test.ts
 * holds each to the same contract.
 */
export const trafficFormats: Readonly<Record<TrafficFormatName, TrafficFormat>> = {
  httproute,
  istio,
  service,
  'nginx-canary': nginxCanary,
};

export function getTrafficFormat(format: TrafficFormatName): TrafficFormat {
  // Object.hasOwn: the name may come from a file or a job, never from Object.prototype.
  if (!Object.hasOwn(trafficFormats, format)) throw new Error(`no traffic format "${String(format)}"`);
  return trafficFormats[format];
}
