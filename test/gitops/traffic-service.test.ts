import { describe, expect, it } from 'vitest';
import { getTrafficFormat, type TrafficFile } from '../../src/gitops/traffic/index.js';
import { expectManifestError, manifestError } from '../updaters/helpers.js';
import { expectRefused, lines } from './traffic-helpers.js';

const service = getTrafficFormat('service');
const file: TrafficFile = { file: 'apps/web/prod/service.yaml', format: 'service' };
/** A Service whose selector lines are given (line 6 is the first). */
const svc = (name: string, ...selector: string[]): string[] => ['apiVersion: v1', 'kind: Service', `metadata: {name: ${name}}`, 'spec:', '  selector:', ...selector];

describe('service read and write', () => {
  it('reads the live colour as 100%, and is switch-only', () => {
    expect(service.switchOnly).toBe(true);
    expect(service.read(lines(...svc('web', '    app: web', '    color: green')), file)).toEqual({ weights: { blue: 0, green: 100 }, lines: [7] });
  });

  it('switches, reporting the selector value that changed', () => {
    const src = lines(...svc('web', '    color: blue'));
    expect(service.write(src, file, { blue: 0, green: 100 })).toEqual({
      content: lines(...svc('web', '    color: green')),
      changes: [{ file: file.file, line: 6, image: 'traffic:green', before: 'blue', after: 'green' }],
    });
  });

  it('refuses a split it cannot hold, naming the selector line, and writes nothing', () => {
    const src = lines(...svc('web', '    color: blue'));
    for (const weights of [{ blue: 90, green: 10 }, { blue: 50, green: 50 }]) {
      const error = expectManifestError(() => service.write(src, file, weights), 'MANIFEST_UNSUPPORTED', file.file, 6);
      expect(error.message).toContain(`service can only send all traffic to one colour, not blue ${weights.blue}% and green ${weights.green}%`);
    }
  });
});

describe('service refuses, naming the file and line', () => {
  it('no Service in the file', () => {
    const error = manifestError(() => service.read(lines('apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}'), file));
    expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
    expect(error.message).toBe(`${file.file}: no Service here`);
  });

  it('no Service selecting by the key', () => {
    const error = manifestError(() => service.read(lines(...svc('web', '    app: web')), { ...file, selector: 'track' }));
    expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
    expect(error.message).toBe(`${file.file}: no Service here selects pods by track`);
  });

  it('a selector value that is neither colour', () =>
    expectRefused(file, lines(...svc('web', '    color: purple')), 'MANIFEST_INVALID', 6, 'selector color is "purple", neither blue (blue) nor green (green)'));

  it('both colours selected by two Services of the file', () =>
    expectRefused(file, lines(...svc('web', '    color: blue'), '---', ...svc('web-internal', '    color: green')), 'MANIFEST_INVALID', 13, 'selects green while line 6 selects blue'));

  it('an anchored selector value', () =>
    expectRefused(file, lines(...svc('web', '    color: &c blue', '    tier: *c')), 'MANIFEST_UNSUPPORTED', 6, 'anchor &c'));

  it('a selector that is not one value', () =>
    expectRefused(file, lines(...svc('web', '    color: [blue]')), 'MANIFEST_UNSUPPORTED', 6, 'it is not a single value'));
});
