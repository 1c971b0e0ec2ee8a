import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { isGantryError } from '../../src/domain/errors.js';
import { bullConnection, keyPrefix } from '../../src/store/redis.js';
import { describeRedisTarget, parseRedisUrl } from '../../src/store/redis-url.js';

describe('REDIS_URL forms', () => {
  it('one server, as ioredis reads it (the URL goes to ioredis unchanged)', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ topology: 'standalone', url: 'redis://127.0.0.1:6379', node: { host: '127.0.0.1', port: 6379 }, db: 0, tls: false });
    expect(parseRedisUrl('rediss://app:p%40ss@redis.example.com:6380/3?family=6')).toMatchObject({
      topology: 'standalone',
      node: { host: 'redis.example.com', port: 6380 },
      db: 3,
      tls: true,
      username: 'app',
      password: 'p@ss',
    });
    expect(parseRedisUrl('redis://:secret@localhost')).toMatchObject({ node: { host: 'localhost', port: 6379 }, password: 'secret' });
    expect(parseRedisUrl('redis://[::1]:7000/0')).toMatchObject({ node: { host: '::1', port: 7000 } });
  });

  it('Sentinel: several Sentinels (default port 26379), the master name, a db and the Sentinels own login', () => {
    expect(parseRedisUrl('redis+sentinel://:s%2Fcr%3At@10.0.0.1,10.0.0.2:26380/mymaster/2?sentinel_password=sp&sentinel_username=mon')).toEqual({
      topology: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      masterName: 'mymaster',
      db: 2,
      tls: false,
      password: 's/cr:t',
      sentinelUsername: 'mon',
      sentinelPassword: 'sp',
    });
    expect(parseRedisUrl('rediss+sentinel://s1.example.com/cache')).toMatchObject({ topology: 'sentinel', tls: true, db: 0, masterName: 'cache' });
  });

  it('Cluster: seed nodes (default port 6379), credentials for every node', () => {
    expect(parseRedisUrl('redis+cluster://app:pw@n1:7000,n2:7001,[fd00::3]')).toEqual({
      topology: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: 'fd00::3', port: 6379 },
      ],
      tls: false,
      username: 'app',
      password: 'pw',
    });
    expect(parseRedisUrl('REDISS+CLUSTER://n1')).toMatchObject({ topology: 'cluster', tls: true });
  });

  const PASSWORD = 'hunter2secret';
  const bad: [string, string][] = [
    ['http://h:6379', 'unknown scheme "http://": expected one of redis://'],
    [`localhost:6379`, 'is not a URL'],
    [`redis+sentinel://:${PASSWORD}@h1:26379`, 'names no master'],
    [`redis+sentinel://:${PASSWORD}@h1:26379/`, 'names no master'],
    [`redis+sentinel://:${PASSWORD}@h1/m/1/2`, 'path must be /<master-name>[/<db>]'],
    [`redis+sentinel://:${PASSWORD}@h1/m/x`, 'database "x" is not a number'],
    [`redis+sentinel://h1/m?password=${PASSWORD}`, 'unknown option "password" (known: sentinel_username, sentinel_password)'],
    [`redis+cluster://:${PASSWORD}@h1:7000/2`, 'a Cluster has only database 0'],
    [`redis+cluster://h1:7000?sentinel_password=${PASSWORD}`, 'takes no query options (got sentinel_password)'],
    [`redis+cluster://:${PASSWORD}@`, 'names no host'],
    [`redis+cluster://h1,,h2`, 'empty entry in its host list'],
    [`redis://:${PASSWORD}@h1,h2`, 'use redis+sentinel:// for Sentinel or redis+cluster:// for Cluster'],
    [`redis+cluster://h1:99999`, 'port 99999 of h1 is not between 1 and 65535'],
    // an unencoded / ends the host part early: the rest of the password must not show
    [`redis+sentinel://:hun/${PASSWORD}@h1/m`, 'percent-encode them'],
    [`redis+sentinel://:${PASSWORD}%zz@h1/m`, 'the password has a broken %-escape'],
    [`redis://:${PASSWORD}@h#frag`, 'has a #fragment'],
  ];
  it.each(bad)('%s is refused with a message that says why and shows no password', (url, message) => {
    let err: unknown;
    try {
      parseRedisUrl(url);
    } catch (e) {
      err = e;
    }
    expect(isGantryError(err) && err.code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toContain(PASSWORD);
    expect((err as Error).message).not.toContain('hun/');
  });

  it('readEnv names the variable and the problem, never the value', () => {
    expect(() => readEnv({ REDIS_URL: `redis+sentinel://:${PASSWORD}@h1:26379` })).toThrow(
      'environment variable REDIS_URL: redis+sentinel:// URL names no master: redis+sentinel://host1:26379[,host2:26379]/<master-name>[/<db>]',
    );
    expect(() => readEnv({ REDIS_URL: `mysql://root:${PASSWORD}@db` })).toThrow(/^environment variable REDIS_URL: unknown scheme "mysql:\/\/"/);
    expect(readEnv({ REDIS_URL: 'redis+cluster://n1:7000' }).REDIS_URL).toBe('redis+cluster://n1:7000');
  });

  it('describes a target for logs and doctor without its credentials', () => {
    const d = (url: string) => describeRedisTarget(parseRedisUrl(url));
    expect(d(`redis://:${PASSWORD}@10.0.0.5:6380/1`)).toBe('standalone 10.0.0.5:6380 (db 1)');
    expect(d(`rediss+sentinel://app:${PASSWORD}@s1,s2:26380/main?sentinel_password=${PASSWORD}`)).toBe('sentinel master "main" via s1:26379, s2:26380 (db 0, TLS, user app)');
    expect(d(`redis+cluster://:${PASSWORD}@n1:7000,[::1]:7001`)).toBe('cluster via n1:7000, [::1]:7001');
  });
});

describe('what the topology changes', () => {
  it('the key prefix becomes a hash tag on a Cluster only', () => {
    expect(keyPrefix('redis+cluster://n1:7000', 'gantry')).toBe('{gantry}');
    expect(keyPrefix('redis+cluster://n1:7000', '{acme}')).toBe('{acme}');
    expect(keyPrefix('redis+sentinel://s1/m', 'gantry')).toBe('gantry');
    expect(keyPrefix('redis://127.0.0.1:6379', 'gantry')).toBe('gantry');
  });

  it('BullMQ gets blocking-safe options for each topology', () => {
    expect(bullConnection('redis://127.0.0.1:6379')).toEqual({ url: 'redis://127.0.0.1:6379', maxRetriesPerRequest: null });
    expect(bullConnection('redis+sentinel://:pw@s1:26380/main/2?sentinel_password=sp')).toMatchObject({
      sentinels: [{ host: 's1', port: 26380 }],
      name: 'main',
      db: 2,
      password: 'pw',
      sentinelPassword: 'sp',
      failoverDetector: true,
      maxRetriesPerRequest: null,
    });
    // a Cluster is built by the client factory from the URL it carries (src/store/redis.ts)
    expect(bullConnection('redis+cluster://n1:7000')).toEqual({ gantryClusterUrl: 'redis+cluster://n1:7000', maxRetriesPerRequest: null });
  });
});
