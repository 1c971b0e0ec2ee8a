import { describe, expect, it } from 'vitest';
import { GantryError } from '../../src/domain/errors.js';
import { getTrafficFormat, type TrafficFile } from '../../src/gitops/traffic/index.js';
import { crlf, expectManifestError, manifestError } from '../updaters/helpers.js';

const route = getTrafficFormat('httproute');
const file: TrafficFile = { file: 'apps/web/prod/route.yaml', format: 'httproute', blue: 'web-blue', green: 'web-green' };
const lines = (...l: string[]): string => `${l.join('\n')}\n`;
const head = ['apiVersion: gateway.networking.k8s.io/v1', 'kind: HTTPRoute', 'metadata:', '  name: web', 'spec:', '  rules:'];
/** An HTTPRoute whose rules are given as lines (line 7 is the first rule's first line). */
const httproute = (...rules: string[]): string => lines(...head, ...rules);
const pair = (blue: string, green: string): string[] => [
  '    - backendRefs:',
  '        - name: web-blue',
  `          weight: ${blue}`,
  '        - name: web-green',
  `          weight: ${green}`,
];

describe('httproute read', () => {
  it('reads the weights of every rule and the lines that hold them', () => {
    const src = httproute(...pair('70', '30'), '    - backendRefs: [{name: other}]', ...pair('70', '30'));
    expect(route.read(src, file)).toEqual({ weights: { blue: 70, green: 30 }, lines: [9, 11, 15, 17] });
    expect(route.switchOnly).toBe(false);
  });

  it('reads quoted weights as numbers, and CRLF files alike', () => {
    expect(route.read(crlf(httproute(...pair('"25"', "'75'"))), file).weights).toEqual({ blue: 25, green: 75 });
  });
});

describe('httproute refuses, naming the file and line, and writes nothing', () => {
  const refuse = (src: string, code: Parameters<typeof expectManifestError>[1], line: number, text: string): void => {
    const error = expectManifestError(() => route.read(src, file), code, file.file, line);
    expect(error.message).toContain(text);
    // write() refuses the same file the same way.
    expect(expectManifestError(() => route.write(src, file, { blue: 50, green: 50 }), code, file.file, line).message).toBe(error.message);
  };

  it('unparsable YAML', () => refuse(httproute(...pair('50', '50'), '  bad: a: b'), 'MANIFEST_INVALID', 12, 'not valid YAML'));

  it('no HTTPRoute in the file', () => {
    const error = manifestError(() => route.read(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: web}'), file));
    expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
    expect(error.message).toBe(`${file.file}: no HTTPRoute here`);
  });

  it('no HTTPRoute of the name given', () => {
    const error = manifestError(() => route.read(httproute(...pair('50', '50')), { ...file, name: 'api' }));
    expect(error.message).toBe(`${file.file}: no HTTPRoute named api here`);
  });

  it('an HTTPRoute of another API group is not one', () => {
    const src = httproute(...pair('50', '50')).replace('gateway.networking.k8s.io/v1', 'example.com/v1');
    expect(manifestError(() => route.read(src, file)).code).toBe('MANIFEST_IMAGE_NOT_FOUND');
  });

  it('no rule routes to either colour', () =>
    refuse(httproute('    - backendRefs: [{name: other, weight: 1}]'), 'MANIFEST_IMAGE_NOT_FOUND', 1, 'no rule in this HTTPRoute routes to web-blue or web-green'));

  it("a rule naming one colour only (the colour's backend is missing)", () =>
    refuse(httproute('    - backendRefs:', '        - name: web-green', '          weight: 100'), 'MANIFEST_IMAGE_NOT_FOUND', 7, 'routes to web-green but not to web-blue'));

  it('a rule that also routes to a third backend', () =>
    refuse(httproute(...pair('50', '50'), '        - name: legacy', '          weight: 0'), 'MANIFEST_UNSUPPORTED', 12, 'also routes to legacy'));

  it('a colour named twice in one rule', () =>
    refuse(httproute(...pair('50', '50'), '        - name: web-blue', '          weight: 0'), 'MANIFEST_INVALID', 12, 'names web-blue twice'));

  it('a weight that is absent', () =>
    refuse(httproute('    - backendRefs:', '        - name: web-blue', '        - name: web-green', '          weight: 100'), 'MANIFEST_UNSUPPORTED', 8, 'web-blue has no weight'));

  it('a weight that is empty', () => refuse(httproute(...pair('', '100')), 'MANIFEST_UNSUPPORTED', 9, 'web-blue has no weight'));

  it('a templated weight', () =>
    refuse(httproute(...pair('"{{ .Values.blue }}"', '0')), 'MANIFEST_UNSUPPORTED', 9, 'the weight of web-blue cannot be edited safely: the value "{{ .Values.blue }}" is templated'));

  it('an anchored weight', () => refuse(httproute(...pair('&w 50', '*w')), 'MANIFEST_UNSUPPORTED', 9, 'anchor &w'));

  it('an aliased weight', () => refuse(lines('x: &w 50', ...head.slice(0), ...pair('*w', '50')), 'MANIFEST_UNSUPPORTED', 10, 'alias *w'));

  for (const bad of ['50.5', 'fifty', '150', '-10', '010', '1e2']) {
    it(`a weight that is not a whole number from 0 to 100: ${bad}`, () =>
      refuse(httproute(...pair(bad, '50')), 'MANIFEST_UNSUPPORTED', 9, `the weight of web-blue is "${bad}", not a whole number from 0 to 100`));
  }

  it('weights that do not add up to 100', () =>
    refuse(httproute(...pair('90', '20')), 'MANIFEST_INVALID', 9, 'the weights of web-blue (90) and web-green (20) add up to 110, not 100'));

  it('two rules that route differently', () =>
    refuse(httproute(...pair('50', '50'), ...pair('10', '90')), 'MANIFEST_INVALID', 12, 'routes 10% to blue and 90% to green, but line 7 routes 50% and 50%'));
});

describe('httproute write', () => {
  const src = httproute(...pair('100', '0'));

  it('changes only the weight values, and says which', () => {
    const result = route.write(src, file, { blue: 75, green: 25 });
    expect(result.content).toBe(httproute(...pair('75', '25')));
    expect(result.changes).toEqual([
      { file: file.file, line: 9, image: 'traffic:blue', before: '100', after: '75' },
      { file: file.file, line: 11, image: 'traffic:green', before: '0', after: '25' },
    ]);
  });

  it('refuses weights that are not whole percents adding up to 100, before reading the file', () => {
    for (const weights of [{ blue: 50, green: 40 }, { blue: 50.5, green: 49.5 }, { blue: -10, green: 110 }, { blue: Number.NaN, green: 100 }]) {
      let thrown: unknown;
      try {
        route.write('not: [yaml', file, weights);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(GantryError);
      expect((thrown as GantryError).code).toBe('INPUT_INVALID');
      expect((thrown as GantryError).message).toContain('whole percents that add up to 100');
    }
  });
});
