import { describe, expect, it } from 'vitest';
import { getTrafficFormat, type TrafficFile } from '../../src/gitops/traffic/index.js';
import { manifestError } from '../updaters/helpers.js';
import { expectRefused, lines } from './traffic-helpers.js';

const nginx = getTrafficFormat('nginx-canary');
const file: TrafficFile = { file: 'apps/web/prod/canary.yaml', format: 'nginx-canary', blue: 'web-blue', green: 'web-green' };
const A = 'nginx.ingress.kubernetes.io/';
/** An Ingress with the given annotation lines (line 6 is the first) and backend service. */
const ingress = (backend: string, ...annotations: string[]): string[] => [
  'apiVersion: networking.k8s.io/v1',
  'kind: Ingress',
  'metadata:',
  '  name: web-canary',
  '  annotations:',
  ...annotations.map((a) => `    ${A}${a}`),
  'spec:',
  `  defaultBackend: {service: {name: ${backend}, port: {number: 80}}}`,
];
const canary = (weight: string, backend = 'web-green'): string => lines(...ingress(backend, 'canary: "true"', `canary-weight: ${weight}`));

describe('nginx-canary read and write', () => {
  it('gives the canary colour canary-weight and the other the rest', () => {
    expect(nginx.read(canary('"30"'), file)).toEqual({ weights: { blue: 70, green: 30 }, lines: [7] });
    expect(nginx.read(canary('"30"', 'web-blue'), file).weights).toEqual({ blue: 30, green: 70 });
  });

  it('edits canary-weight only, and reports it as the canary colour', () => {
    expect(nginx.write(canary('"30"'), file, { blue: 0, green: 100 })).toEqual({
      content: canary('"100"'),
      changes: [{ file: file.file, line: 7, image: 'traffic:green', before: '30', after: '100' }],
    });
  });
});

describe('nginx-canary refuses, naming the file and line', () => {
  it('no canary Ingress: none at all, or canary not "true"', () => {
    for (const src of [lines('apiVersion: v1', 'kind: Service', 'metadata: {name: web}'), lines(...ingress('web-green', 'canary: "false"', 'canary-weight: "5"'))]) {
      const error = manifestError(() => nginx.read(src, file));
      expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
      expect(error.message).toBe(`${file.file}: no canary Ingress here`);
    }
  });

  it('no canary-weight annotation', () =>
    expectRefused(file, lines(...ingress('web-green', 'canary: "true"')), 'MANIFEST_UNSUPPORTED', 6, `web-green has no ${A}canary-weight`));

  it('a canary-weight that is no whole number from 0 to 100', () => {
    expectRefused(file, canary('"150"'), 'MANIFEST_UNSUPPORTED', 7, `the ${A}canary-weight of web-green is "150"`);
    expectRefused(file, canary('"{{ .Values.weight }}"'), 'MANIFEST_UNSUPPORTED', 7, 'cannot be edited safely: the value "{{ .Values.weight }}" is templated');
  });

  it('a canary-weight-total other than 100', () =>
    expectRefused(file, lines(...ingress('web-green', 'canary: "true"', 'canary-weight-total: "1000"', 'canary-weight: "5"')), 'MANIFEST_UNSUPPORTED', 7, 'canary-weight-total is "1000"'));

  it('a canary backend that is neither colour', () =>
    expectRefused(file, canary('"5"', 'web-purple'), 'MANIFEST_INVALID', 9, 'the canary backend service is "web-purple", neither blue (web-blue) nor green (web-green)'));

  it('a canary Ingress that routes to both colours', () => {
    const src = lines(...ingress('web-green', 'canary: "true"', 'canary-weight: "5"'), '  rules:', '    - http:', '        paths:', '          - {path: /, pathType: Prefix, backend: {service: {name: web-blue}}}');
    expectRefused(file, src, 'MANIFEST_INVALID', 13, 'selects web-blue while line 9 selects web-green');
  });

  it('a canary Ingress without a backend', () =>
    expectRefused(file, lines(...ingress('web-green', 'canary: "true"', 'canary-weight: "5"').slice(0, -1)), 'MANIFEST_IMAGE_NOT_FOUND', 1, 'no backend in this canary Ingress'));

  it('two canary Ingresses with different weights', () =>
    expectRefused(file, lines(...ingress('web-green', 'canary: "true"', 'canary-weight: "5"'), '---', ...ingress('web-green', 'canary: "true"', 'canary-weight: "50"')), 'MANIFEST_INVALID', 17, 'routes 50% to blue and 50% to green, but line 7 routes 95% and 5%'));
});
