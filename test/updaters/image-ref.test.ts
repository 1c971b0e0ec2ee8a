import { describe, expect, it } from 'vitest';
import { GantryError } from '../../src/domain/errors.js';
import { formatImageRef, parseImageRef, tryParseImageRef } from '../../src/domain/image-ref.js';
import { D1 } from './helpers.js';

describe('parseImageRef', () => {
  it('splits repository, tag and digest; a registry port is not a tag', () => {
    expect(parseImageRef(`registry:5000/acme/web:v1.2.3@${D1}`)).toEqual({ repository: 'registry:5000/acme/web', tag: 'v1.2.3', digest: D1 });
    expect(parseImageRef('registry:5000/acme/web')).toEqual({ repository: 'registry:5000/acme/web' });
    expect(parseImageRef(`registry:5000/acme/web@${D1}`)).toEqual({ repository: 'registry:5000/acme/web', digest: D1 });
  });

  it('compares nothing implicitly: no docker.io or library/ added', () => {
    expect(parseImageRef('nginx:1.25')).toEqual({ repository: 'nginx', tag: '1.25' });
    expect(parseImageRef('web:5000')).toEqual({ repository: 'web', tag: '5000' });
    expect(parseImageRef('localhost/web')).toEqual({ repository: 'localhost/web' });
    expect(parseImageRef('[::1]:5000/acme/web:v1')).toEqual({ repository: '[::1]:5000/acme/web', tag: 'v1' });
    expect(parseImageRef('Registry.Example.com/a_b/c-d__e:V_1.x')).toEqual({ repository: 'Registry.Example.com/a_b/c-d__e', tag: 'V_1.x' });
  });

  it.each([
    ['', 'empty'],
    [' web:v1', 'whitespace'],
    ['web:v1 ', 'whitespace'],
    ['web:v1\n# comment', 'whitespace'],
    ['web\t:v1', 'whitespace'],
    ['web:v1\u0000', 'control'],
    ['web:v1\u0085', 'whitespace'],
    ['web:v1\u200b', 'not a valid tag'],
    ['acme/Web', 'path component'],
    ['web:', 'tag'],
    ['web:-v1', 'tag'],
    [`web:${'x'.repeat(129)}`, 'tag'],
    ['web@sha256:abc', 'digest'],
    [`web@${D1.toUpperCase()}`, 'digest'],
    ['web@', 'digest'],
    ['reg:port/web', 'registry host'],
    ['/web', 'path component'],
    ['web//x', 'path component'],
  ])('rejects %j (%s)', (ref, why) => {
    expect(() => parseImageRef(ref)).toThrow(GantryError);
    expect(() => parseImageRef(ref)).toThrow(new RegExp(why, 'i'));
    expect(tryParseImageRef(ref)).toBeUndefined();
  });

  it('prints control characters escaped in its message', () => {
    expect(() => parseImageRef('web:v1\n')).toThrow('"web:v1\\n" is not an image reference');
  });
});

describe('formatImageRef', () => {
  it('writes repo[:tag][@digest] and round-trips', () => {
    expect(formatImageRef({ repository: 'registry:5000/acme/web', tag: 'v1.2.3', digest: D1 })).toBe(`registry:5000/acme/web:v1.2.3@${D1}`);
    expect(formatImageRef({ repository: 'registry:5000/acme/web', tag: 'v1.2.3' })).toBe('registry:5000/acme/web:v1.2.3');
    expect(formatImageRef({ repository: 'web', digest: D1 })).toBe(`web@${D1}`);
    const ref = `reg.example.com/a/b:c@${D1}`;
    expect(formatImageRef(parseImageRef(ref))).toBe(ref);
  });

  it('refuses parts that would not parse back', () => {
    expect(() => formatImageRef({ repository: 'web', tag: 'v1 # x' })).toThrow(GantryError);
    expect(() => formatImageRef({ repository: 'web', tag: 'v1', digest: 'sha256:1' })).toThrow(/digest/);
    expect(() => formatImageRef({ repository: 'Web/x:v1', tag: 'v1' })).toThrow(/repository/);
    expect(() => formatImageRef({ repository: '', tag: 'v1' })).toThrow(/repository/);
  });
});
