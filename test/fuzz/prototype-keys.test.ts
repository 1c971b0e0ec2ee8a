import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { PROTOTYPE_KEYS } from './hostile.js';

/**
 * Names of `Object.prototype` members as app, environment, user or help topic: no lookup keyed by
 * what someone typed may find the prototype's function instead of "no such thing".
 */
describe('Object.prototype names as app, environment, user and help topic', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ name: 'proto-keys' });
    await h.release('v1.2.3');
  });
  afterAll(async () => h?.close());

  const lines = (k: string) => [
    `/promote ${k} v1.2.3 qa`,
    `/promote web v1.2.3 ${k}`,
    `/promote v1.2.3 ${k}`,
    `/rollback ${k} qa`,
    `/rollback web ${k}`,
    `/rollback ${k}`,
    `/status ${k}`,
    `/status web ${k}`,
    `/history ${k}`,
    `/history web ${k}`,
    `/releases ${k}`,
    `/stats ${k}`,
    `/stats web ${k} 7d`,
    `/diff ${k} qa staging`,
    `/diff web ${k} staging`,
    `/lock ${k} maintenance`,
    `/unlock ${k}`,
    `/block ${k} v1.2.3 bad`,
    `/unblock ${k} v1.2.3`,
    `/approve ${k}`,
    `/deny ${k}`,
    `/help ${k}`,
    `/${k}`,
  ];

  it('every command with such a name as app or environment is refused clearly, never INTERNAL', async () => {
    const before = await h.head();
    for (const k of PROTOTYPE_KEYS) {
      for (const line of lines(k)) {
        const reply = await h.run('alice', line);
        expect(reply.code, `${line}: ${reply.text}`).not.toBe('INTERNAL');
        expect(reply.ok, `${line} was accepted: ${reply.text}`).toBe(false);
        expect(reply.text, line).not.toMatch(/function|\[native code\]|Object\(\)/);
      }
    }
    expect(await h.head()).toBe(before);
  });

  it('such a name as the user behind a command is a stranger: refused, never INTERNAL', async () => {
    const before = await h.head();
    for (const k of PROTOTYPE_KEYS) {
      // prod: only leads may promote, lock or roll back there, and a stranger is no lead
      for (const line of ['/promote v1.2.3 prod', '/rollback prod', '/lock prod x', '/approve 1', '/status', '/help']) {
        const reply = await h.run(k, line);
        expect(reply.code, `${k}: ${line}: ${reply.text}`).not.toBe('INTERNAL');
        expect(reply.text).not.toMatch(/function|\[native code\]/);
      }
    }
    expect(await h.head()).toBe(before);
  });

  it('/help constructor is an unknown command, not function Object()', async () => {
    for (const k of PROTOTYPE_KEYS) {
      const reply = await h.run('alice', `/help ${k}`);
      expect(reply.ok).toBe(false);
      expect(reply.text).toMatch(/unknown command/i);
      expect(reply.text).not.toContain('function');
    }
  });
});
