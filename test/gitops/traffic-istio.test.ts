import { describe, expect, it } from 'vitest';
import { getTrafficFormat, type TrafficFile } from '../../src/gitops/traffic/index.js';
import { manifestError } from '../updaters/helpers.js';
import { expectRefused, lines } from './traffic-helpers.js';

const istio = getTrafficFormat('istio');
const file: TrafficFile = { file: 'apps/web/prod/vs.yaml', format: 'istio', blue: 'blue', green: 'green' };
const head = ['apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: web}', 'spec:', '  http:'];
/** A VirtualService whose http routes are given as lines (line 6 is the first). */
const vs = (...routes: string[]): string => lines(...head, ...routes);
const route = (blue: string, green: string): string[] => [
  '    - route:',
  `        - {destination: {host: web, subset: blue}, weight: ${blue}}`,
  `        - {destination: {host: web, subset: green}, weight: ${green}}`,
];

describe('istio read', () => {
  it('reads the weights of every http route naming the colours', () => {
    const src = vs(...route('30', '70'), '    - route: [{destination: {host: docs}}]', ...route('30', '70'));
    expect(istio.read(src, file)).toEqual({ weights: { blue: 30, green: 70 }, lines: [7, 8, 11, 12] });
  });

  it('matches a destination without a subset by its host, and one with a subset by the subset only', () => {
    const byHost = { ...file, blue: 'web-blue', green: 'web-green' };
    const src = vs('    - route:', '        - {destination: {host: web-blue}, weight: 60}', '        - {destination: {host: web-green}, weight: 40}');
    expect(istio.read(src, byHost).weights).toEqual({ blue: 60, green: 40 });
    // host web-blue with subset v2 is the subset v2: not a colour.
    const subset = vs('    - route:', '        - {destination: {host: web-blue, subset: v2}, weight: 60}', '        - {destination: {host: web-green}, weight: 40}');
    expectRefused(byHost, subset, 'MANIFEST_UNSUPPORTED', 7, 'this http route also routes to v2');
  });
});

describe('istio refuses, naming the file and line', () => {
  it('unparsable YAML', () => expectRefused(file, vs(...route('50', '50'), '  x: {a: b'), 'MANIFEST_INVALID', 10, 'not valid YAML'));

  it('no VirtualService (a DestinationRule is not one)', () => {
    const error = manifestError(() => istio.read(lines('apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata: {name: web}'), file));
    expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
    expect(error.message).toBe(`${file.file}: no VirtualService here`);
  });

  it('no http route to either colour', () =>
    expectRefused(file, vs('    - route: [{destination: {host: docs}}]'), 'MANIFEST_IMAGE_NOT_FOUND', 1, 'no http route in this VirtualService routes to blue or green'));

  it('a route to one colour only', () =>
    expectRefused(file, vs('    - route:', '        - {destination: {host: web, subset: green}}'), 'MANIFEST_IMAGE_NOT_FOUND', 6, 'routes to green but not to blue'));

  it('a weight left out (Istio would read it as 100)', () =>
    expectRefused(file, vs('    - route:', '        - {destination: {host: web, subset: blue}}', '        - {destination: {host: web, subset: green}, weight: 100}'), 'MANIFEST_UNSUPPORTED', 7, 'blue has no weight'));

  it('a weight that is no whole number', () =>
    expectRefused(file, vs(...route('33.3', '66.7')), 'MANIFEST_UNSUPPORTED', 7, 'the weight of blue is "33.3"'));

  it('weights that do not add up to 100', () =>
    expectRefused(file, vs(...route('50', '40')), 'MANIFEST_INVALID', 7, 'add up to 90, not 100'));

  it('two http routes that split differently', () =>
    expectRefused(file, vs(...route('50', '50'), ...route('0', '100')), 'MANIFEST_INVALID', 9, 'but line 6 routes 50% and 50%'));
});
