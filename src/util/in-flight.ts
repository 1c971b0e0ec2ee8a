/**
 * Work started and not awaited (so that it holds up no one), kept track of so that a closing
 * process can give it a bounded time to finish instead of cutting it off or waiting forever.
 */
export interface InFlight {
  /** starts `work`; a rejection goes to `onError`, never unhandled */
  run(work: () => Promise<unknown>, onError: (err: unknown) => void): void;
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
    },
    async settle(ms) {
      if (pending.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        timer.unref();
      });
      await Promise.race([Promise.allSettled([...pending]), timeout]);
      clearTimeout(timer);
    },
    get size() {
      return pending.size;
    },
  };
}
