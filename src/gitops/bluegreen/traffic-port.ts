/**
 * The one place blue-green reads the traffic-split formats (src/gitops/traffic/, their own
 * module): the rest of src/gitops/bluegreen/ imports them from here.
 */
export { getTrafficFormat } from '../traffic/index.js';
export type { TrafficFile } from '../traffic/schema.js';
export { COLOURS, type Colour, type Weights } from '../traffic/types.js';
