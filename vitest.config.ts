import { defineConfig } from 'vitest/config';

const ALL = ['test/**/*.test.ts'];
/**
 * Files that race a competitor against the clock (concurrency-50 asserts that no deploy needed a
 * second run), measure a process under attack (webhook-body-limit: its memory, and a 413 read
 * back before the server drops the socket, which a busy machine loses) or load the machine
 * themselves (test/image builds and runs the image): they run one at a time, after the rest, so
 * neither disturbs nor is disturbed by another file.
 */
const ALONE = [
  'test/image/**/*.test.ts',
  'test/faults/concurrency-50.test.ts',
  // 20 gantry processes at once, each with its own warm clone of a 20,000-manifest deploy repo
  'test/gitops/concurrency-processes.test.ts',
  'test/github/webhook-body-limit.test.ts',
  // chromium tests that time pages or load the server (many viewers of one live log): the
  // functional browser tests (test/web/browser*.test.ts) wait on the page, not the clock, and run with the rest
  'test/web/browser-load*.test.ts',
];

/**
 * The rest run two files at a time. Many wait on processes, timers and I/O more than on the CPU:
 * on the 2-core CI machine the suite takes about 415 s this way instead of 700 s one at a time.
 * Each project gets its own private services from the global setup (redis-server, dockerd,
 * registry).
 */
const common = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
  // Files in one worker share its module cache instead of importing probot, Bolt, BullMQ and the rest
  // again per file: importing was about a fifth of the suite's time (test/commands + test/chat:
  // 132 s isolated, 87 s shared). No file mocks modules or stubs globals; each starts and stops
  // its own servers, queues and nock scopes.
  isolate: false,
} as const;

/**
 * Files that fail when they share a worker's module cache with the files before them (a paused SSE
 * reader that is never cut loose; a push to a dead registry that fails with EPIPE instead of
 * "connection refused"): they run in a process of their own until the cause is found.
 */
const OWN_PROCESS = ['test/web/builds-live.test.ts', 'test/images/lifecycle.test.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'parallel', include: ALL, exclude: [...ALONE, ...OWN_PROCESS], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'isolated', include: OWN_PROCESS, isolate: true, maxWorkers: 1, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
