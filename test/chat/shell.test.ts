import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runShell } from '../../src/chat/shell/shell.js';
import { connect } from '../../src/store/redis.js';
import { redisUrl } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';

/** Two people in two shells: what one does, the other hears about when it concerns them. */
describe('shell adapter', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ name: 'shell', edit: (d) => delete d.environments.prod.from });
    await h.release('v1.4.0');
  });
  afterEach(async () => h.close());

  function shell(as: string) {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    const done = runShell(h.gantry.services, {
      as,
      input,
      output,
      interactive: false,
      subscribe: (onEvent) => h.gantry.core.bus.subscribe(connect(redisUrl()), onEvent),
    });
    return { input, done, text: () => text };
  }

  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  };

  it('an approver hears of a request; the requester hears of the deploy through the reply, not twice', async () => {
    const carol = shell('carol');
    const alice = shell('alice');
    await new Promise((r) => setTimeout(r, 200)); // both subscribed
    carol.input.write('/promote v1.4.0 prod\n');
    // the request is published before carol's reply is printed: another process may hear it first
    await until(() => alice.text().includes('[approval') && /approval \d+ requested/.test(carol.text()));
    expect(alice.text()).toMatch(/\[approval (\d+)\] carol asks to promote web v1\.4\.0 in prod: \/approve \1/);
    const id = /approval (\d+) requested/.exec(carol.text())![1];
    alice.input.write(`/approve ${id}\n`);
    await until(() => carol.text().includes('[deployed]') && alice.text().includes(`approval ${id} complete.`));
    expect(carol.text()).toMatch(/\[deployed\] web v1\.4\.0 in prod by carol \([0-9a-f]{7}\)/);
    expect(alice.text()).toContain(`approval ${id} complete.`);
    expect(alice.text()).not.toContain('[deployed]'); // her /approve reply already said so
    carol.input.end();
    alice.input.end();
    await Promise.all([carol.done, alice.done]);
  });

  it('tells how many commands were refused (a scripted `gantry shell` exits 1 on any)', async () => {
    const bob = shell('bob');
    bob.input.end('/status qa\n:as carol\n/lock moon\n# a comment\n/nope\n/history qa\n');
    expect(await bob.done).toEqual({ commands: 4, refused: 2 });
    expect(bob.text()).toContain('error [ENV_UNKNOWN]');
  });
});
