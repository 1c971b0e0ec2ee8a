import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand, USAGE } from '../../src/commands/grammar.js';
import { GantryError } from '../../src/domain/errors.js';
import { startHarness, type Harness } from '../support/harness.js';
import { anyLineArb, nearValidArb, shapedArb, UNSAFE_IN_REPLY } from './hostile.js';

/** Fixed seeds: a failure is reproducible; FUZZ_SEED overrides, FUZZ_RUNS scales the runs. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_117);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

describe('the command parser on hostile input', () => {
  it('never throws anything but a GantryError, and parses only known commands', () => {
    fc.assert(
      fc.property(anyLineArb, (line) => {
        let cmd;
        try {
          cmd = parseCommand(line);
        } catch (e) {
          expect(e).toBeInstanceOf(GantryError);
          expect((e as GantryError).message.trim()).not.toBe('');
          expect((e as GantryError).message).not.toMatch(UNSAFE_IN_REPLY);
          return;
        }
        expect(Object.keys(USAGE)).toContain(cmd.name);
        for (const a of cmd.args) expect(typeof a).toBe('string');
      }),
      { numRuns: 20_000 * SCALE, seed: SEED },
    );
  });
});

describe('execute on hostile input, against a real Redis and deploy repo', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ name: 'fuzz-exec' });
    for (const v of ['v1.2.3', 'v1.2.4', 'v2.0.0']) await h.release(v);
  });
  afterAll(async () => h?.close());

  /** The deploy branch's commit, read from the bare repo's ref file (git only when it is packed). */
  const head = async () => {
    const loose = path.join(h.bare, 'refs', 'heads', 'main');
    return existsSync(loose) ? readFileSync(loose, 'utf8').trim() : h.head();
  };

  it('always answers with ok and a text; a refusal never changes the deploy repo', { timeout: 240_000 }, async () => {
    const actors = ['alice', 'bob', 'carol', 'dave', 'mallory'];
    let answered = 0;
    let deployed = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...actors), fc.oneof({ weight: 4, arbitrary: shapedArb }, { weight: 2, arbitrary: nearValidArb }, { weight: 1, arbitrary: anyLineArb }), async (who, line) => {
        const before = await head();
        const reply = await h.run(who, line);
        answered++;
        expect(typeof reply.ok).toBe('boolean');
        expect(typeof reply.text).toBe('string');
        expect(reply.text.trim()).not.toBe('');
        // what a user typed never comes back as a raw control or bidi character that garbles or disguises the reply
        expect(reply.text, `reply to ${JSON.stringify(line)}`).not.toMatch(UNSAFE_IN_REPLY);
        expect(reply.code === 'INTERNAL', `INTERNAL error for ${JSON.stringify(line)}: ${reply.text}`).toBe(false);
        const after = await head();
        if (!reply.ok) {
          expect(after, `refused ${JSON.stringify(line)} (${reply.code}) but the deploy repo moved`).toBe(before);
          expect(reply.code).toBeDefined();
        } else if (after !== before) {
          // only a deployment moves the branch, and it says so
          expect(reply.result?.commit).toBe(after);
          deployed++;
        }
      }),
      { numRuns: 3000 * SCALE, seed: SEED },
    );
    expect(answered).toBe(3000 * SCALE);
    // the near-valid commands did reach the deploy path now and then (the fuzz is not all noise)
    expect(deployed).toBeGreaterThan(0);
    console.info(`fuzz-exec: ${answered} commands answered, ${deployed} of them deployed`);
  });
});
