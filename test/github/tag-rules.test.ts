import { describe, expect, it } from 'vitest';
import { registryEndpoint } from '../../src/images/registry.js';
import { immutableTags } from '../../src/images/release-tags.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { Release } from '../../src/domain/release.js';
import { refusedTags } from '../../src/images/plan.js';
import { parseRepoConfig } from '../../src/images/repo-config.js';
import { defaultConfigData } from '../support/harness.js';

/** Which tags a build may write, decided at planning (no I/O), and which it must never move. */
const config = ConfigSchema.parse(defaultConfigData());
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
const OTHER = 'abcdef0123456789abcdef0123456789abcdef01';
const rc = (extra: string) => parseRepoConfig(`extraTags: ${extra}`, config, 'web');
const refused = (trigger: Parameters<typeof refusedTags>[0], extra: string, o: Partial<Parameters<typeof refusedTags>[3]> = {}) =>
  refusedTags(trigger, SHA, rc(extra), { releases: [], defaultBranch: 'main', ...o }).map((r) => r.tag);
const release = (version: string, tag: string, commit: string): Release => ({ app: 'web', version, commit, builtAt: '2024-05-01T10:00:00Z', images: { web: { repository: 'r/acme/web', tag } } });

describe('tags a build may not write', () => {
  const any = '[{ tag: v1.2.3, branches: ["*"], tags: ["*"] }, { tag: v1, branches: ["*"], tags: ["*"] }, { tag: sha-0000000, branches: ["*"] }, { tag: main-0a0b0c0, branches: ["*"] }, { tag: stable, branches: ["*"], tags: ["*"] }]';

  it('release-looking, commit and build-version tags from extraTags, for every ref; moving tags pass', () => {
    expect(refused({ kind: 'branch', name: 'feature-x' }, any)).toEqual(['v1.2.3', 'v1', 'sha-0000000', 'main-0a0b0c0']);
    expect(refused({ kind: 'branch', name: 'main' }, any)).toEqual(['v1.2.3', 'v1', 'sha-0000000', 'main-0a0b0c0']);
    // a tag build owns its own tag only, which is never an extra
    expect(refused({ kind: 'tag', name: 'v1.2.4' }, any)).toEqual(['v1.2.3', 'v1']);
    expect(refused({ kind: 'tag', name: 'v1.2.3' }, any)).toEqual(['v1']);
    // pull requests get no extra tags at all
    expect(refused({ kind: 'pr', number: 4, headRef: 'x', baseRef: 'main', fork: false }, any)).toEqual([]);
  });

  it('latest only from tag builds and the default branch', () => {
    const latest = '[{ tag: latest, branches: ["*"], tags: ["v*"] }]';
    expect(refused({ kind: 'branch', name: 'main' }, latest)).toEqual([]);
    expect(refused({ kind: 'tag', name: 'v2.0.0' }, latest)).toEqual([]);
    expect(refused({ kind: 'branch', name: 'dev' }, latest)).toEqual(['latest']);
    expect(refusedTags({ kind: 'branch', name: 'dev' }, SHA, rc(latest), { releases: [], defaultBranch: 'trunk' })[0]!.reason).toBe(
      'moves only with tag builds and the default branch (trunk), not with branch dev',
    );
  });

  it('no tag a release of another commit uses: a git tag pushed again on another commit, an extra tag a release took', () => {
    const releases = [release('v1.2.3', 'v1.2.3', OTHER), release('edge-1', 'edge', OTHER), release('main-1a2b3c4', 'main-1a2b3c4', SHA)];
    expect(refused({ kind: 'tag', name: 'v1.2.3' }, '[]', { releases })).toEqual(['v1.2.3']);
    expect(refusedTags({ kind: 'tag', name: 'v1.2.3' }, SHA, rc('[]'), { releases })[0]!.reason).toBe('is the image tag of release v1.2.3 (commit abcdef0); a build of 1a2b3c4 cannot take it over');
    expect(refused({ kind: 'branch', name: 'main' }, '[{ tag: edge, branches: [main] }]', { releases })).toEqual(['edge']);
    // the same commit again (a rebuild) is its own release
    expect(refused({ kind: 'branch', name: 'main' }, '[]', { releases })).toEqual([]);
  });
});

describe('tags that never move, and where the registry is asked', () => {
  it('the version tag, release-looking and commit tags; not moving ones', () => {
    expect(immutableTags(['v1.2.3', 'sha-1a2b3c4', 'stable', 'latest'])).toEqual(['v1.2.3', 'sha-1a2b3c4']);
    expect(immutableTags(['release-2024', 'sha-1a2b3c4', 'latest'])).toEqual(['release-2024', 'sha-1a2b3c4']);
    expect(immutableTags(['main-1a2b3c4', 'sha-1a2b3c4', 'latest'])).toEqual(['main-1a2b3c4', 'sha-1a2b3c4']);
  });

  it('http for loopback registries, https otherwise, Docker Hub for references without a host', () => {
    expect(registryEndpoint('127.0.0.1:5000/acme/web')).toEqual({ base: 'http://127.0.0.1:5000', name: 'acme/web' });
    expect(registryEndpoint('localhost/acme/web')).toEqual({ base: 'http://localhost', name: 'acme/web' });
    expect(registryEndpoint('registry.example.com/acme/web')).toEqual({ base: 'https://registry.example.com', name: 'acme/web' });
    expect(registryEndpoint('acme/web')).toEqual({ base: 'https://registry-1.docker.io', name: 'acme/web' });
    expect(registryEndpoint('web')).toEqual({ base: 'https://registry-1.docker.io', name: 'library/web' });
  });
});
