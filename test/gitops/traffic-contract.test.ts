import { describe, expect, it } from 'vitest';
import { makeTrafficFormat } from '../../src/gitops/traffic/engine.js';
import {
  getTrafficFormat,
  TRAFFIC_FORMATS,
  TrafficFileSchema,
  trafficFormats,
  type TrafficFile,
  type TrafficFormatName,
} from '../../src/gitops/traffic/index.js';
import { expectManifestError } from '../updaters/helpers.js';

describe('the traffic format registry', () => {
  it('has one editor per name, each knowing its own name; only the Service selector is switch-only', () => {
    expect(Object.keys(trafficFormats).sort()).toEqual([...TRAFFIC_FORMATS].sort());
    for (const name of TRAFFIC_FORMATS) {
      expect(getTrafficFormat(name).format).toBe(name);
      expect(getTrafficFormat(name).switchOnly).toBe(name === 'service');
    }
  });

  it('refuses a name that is not a format, also one Object.prototype has', () => {
    for (const name of ['__proto__', 'toString', 'constructor', 'gateway']) {
      expect(() => getTrafficFormat(name as TrafficFormatName)).toThrow(`no traffic format "${name}"`);
    }
  });
});

describe('TrafficFileSchema', () => {
  const issues = (input: unknown): string[] => {
    const result = TrafficFileSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes each format with its backends', () => {
    expect(issues({ file: 'apps/web/prod/route.yaml', format: 'httproute', blue: 'web-blue', green: 'web-green', name: 'web' })).toEqual([]);
    expect(issues({ file: 'a/vs.yaml', format: 'istio', blue: 'web-blue.prod.svc.cluster.local', green: 'web-green.prod.svc.cluster.local' })).toEqual([]);
    expect(issues({ file: 'a/canary.yaml', format: 'nginx-canary', blue: 'web-blue', green: 'web-green' })).toEqual([]);
    expect(issues({ file: 'a/svc.yaml', format: 'service' })).toEqual([]);
    expect(issues({ file: 'a/svc.yaml', format: 'service', selector: 'app.kubernetes.io/color', blue: 'v1', green: 'v2' })).toEqual([]);
  });

  it('needs the backends where they have no default, and different ones', () => {
    expect(issues({ file: 'a/r.yaml', format: 'httproute', blue: 'web-blue' })).toEqual(["green: httproute needs the green backend's name"]);
    expect(issues({ file: 'a/r.yaml', format: 'istio', blue: 'web', green: 'web' })).toEqual(['green: blue and green must name different backends']);
    expect(issues({ file: 'a/s.yaml', format: 'service', green: 'blue' })).toEqual(['green: blue and green must name different backends']);
  });

  it('refuses unknown keys, unknown formats, options of another format, and odd names', () => {
    expect(issues({ file: 'a/r.yaml', format: 'httproute', blue: 'a', green: 'b', weight: 10 })).toEqual([expect.stringContaining('weight')]);
    expect(issues({ file: 'a/r.yaml', format: 'linkerd', blue: 'a', green: 'b' })).toEqual([expect.stringMatching(/^format: /)]);
    expect(issues({ file: 'a/r.yaml', format: 'httproute', blue: 'a', green: 'b', selector: 'color' })).toEqual([
      'selector: selector is an option of format service only',
    ]);
    expect(issues({ file: 'a/r.yaml', format: 'httproute', blue: 'web blue', green: 'b' })).toEqual([
      'blue: must be a name such as web-blue (letters, digits, . _ -)',
    ]);
    expect(issues({ file: '../r.yaml', format: 'service' })).toEqual([expect.stringMatching(/^file: must be a relative path/)]);
    expect(issues({ file: 'a/s.yaml', format: 'service', selector: 'color: x' })).toEqual([expect.stringMatching(/^selector: must be a label key/)]);
  });
});

describe('the engine re-reads what it wrote', () => {
  // A format whose edit lands on the wrong value: the write must be refused, not returned.
  const liar = makeTrafficFormat('httproute', false, (content) => {
    const value = Number(/weight: (\d+)/.exec(content)?.[1]);
    return [
      {
        line: 1,
        weights: { blue: value, green: 100 - value },
        lines: [1],
        plan: (weights) => [{ edit: { start: 0, end: 0, text: '# moved\n' }, line: 1, colour: 'blue', before: String(value), after: String(weights.blue) }],
      },
    ];
  });

  it('refuses a write whose output does not read as the weights asked for', () => {
    const file: TrafficFile = { file: 'r.yaml', format: 'httproute', blue: 'a', green: 'b' };
    const error = expectManifestError(() => liar.write('weight: 40\n', file, { blue: 70, green: 30 }), 'MANIFEST_UNSUPPORTED', 'r.yaml', 1);
    expect(error.message).toContain('reads "blue 40% / green 60%" instead of "blue 70% / green 30%"; nothing was written');
  });
});
