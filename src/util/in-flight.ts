/**
 * Work that someone waits for only so long (`within`) and that then goes on in the background,
 * kept track of so that a closing process can give it a bounded time to finish instead of cutting
 * it off or waiting forever.
 */
export interface InFlight {
  /** starts `work`; a rejection goes to `onError`, never unhandled. Settles when `work` has. */
  run(work: () => Promise<unknown>, onError: (err: unknown) => void): Promise<void>;
  /** waits for `p` at most `ms`; past that it goes on in the background */
  within(p: Promise<void>, ms: number): Promise<void>;
  /** resolves when everything started has settled, or after `ms`, whichever is first */
  settle(ms: number): Promise<void>;
  readonly size: number;
}

export function inFlight(): InFlight {
  const pending = new Set<Promise<void>>();
  return {
    run(work, onError) {
      const p: Promise<void> = Promise.resolve()
        .then(work)
        .then(
          () => undefined,
          (err: unknown) => onError(err),
        )
        .finally(() => pending.delete(p));
      pending.add(p);
      return p;
    },
    within: (p, ms) => atMost([p], ms),
    settle: (ms) => atMost([...pending], ms),
    get size() {
      return pending.size;
    },
  };
}

async function atMost(work: Promise<void>[], ms: number): Promise<void> {
  if (work.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(work), timeout]);
  clearTimeout(timer);
}
