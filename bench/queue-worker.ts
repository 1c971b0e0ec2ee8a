import { Worker } from 'bullmq';
import { bullConnection } from '../src/store/redis.js';

/**
 * One worker *process* of the queue benchmark (bench/queue.ts spawns 1 or 2 of these): a BullMQ
 * worker built the way gantry builds its own (src/store/redis.ts connection options, per-process
 * concurrency), running no-op jobs. It says `ready` when connected, starts on `go`, reports how
 * many jobs it ran and the CPU time it used on `stop`, then exits. Arguments: <redis url> <prefix> <queue> <concurrency>.
 */
const [url, prefix, queue, concurrency] = process.argv.slice(2);
if (!url || !prefix || !queue || !concurrency || !process.send) {
  process.stderr.write('usage (from bench/queue.ts, with an IPC channel): queue-worker <redis url> <prefix> <queue> <concurrency>\n');
  process.exit(2);
}
const send = (m: unknown) => process.send!(m);

let done = 0;
const worker = new Worker(
  queue,
  async () => {
    done++;
  },
  { connection: bullConnection(url), prefix, concurrency: Number(concurrency), autorun: false },
);
worker.on('error', (err) => process.stderr.write(`queue-worker: ${err.message}\n`));
await worker.waitUntilReady();
send({ type: 'ready' });

let atGo = process.cpuUsage();
process.on('message', (m: { type: string }) => {
  if (m.type === 'go') {
    atGo = process.cpuUsage(); // start-up is not the jobs' cost
    void worker.run();
  }
  if (m.type === 'stop') {
    void worker.close().then(() => {
      const cpu = process.cpuUsage(atGo);
      send({ type: 'stopped', done, cpuMicros: cpu.user + cpu.system });
      process.disconnect();
      process.exit(0);
    });
  }
});
