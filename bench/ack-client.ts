import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'node:http';

/**
 * The load side of the Slack ack and rollout receiver benchmarks, on its own thread so its event
 * loop does not share time with the server it measures: sends `requests` (all at once, or
 * `concurrency` at a time), answers each request's latency and the time the whole batch took.
 * Every answer must be 200.
 */
interface Job {
  url: string;
  requests: { body: string; headers: Record<string, string> }[];
  /** senders in parallel; all requests at once when left out */
  concurrency?: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function send(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sendAll(job: Job): Promise<{ times: number[]; elapsed: number }> {
  const t0 = performance.now();
  const times: number[] = [];
  let next = 0;
  const sender = async () => {
    while (next < job.requests.length) {
      const r = job.requests[next++]!;
      times.push(await send(job.url, r.body, r.headers));
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency ?? job.requests.length, job.requests.length) }, sender));
  return { times, elapsed: performance.now() - t0 };
}

parentPort!.on('message', (job: Job) => {
  sendAll(job).then(
    (r) => parentPort!.postMessage(r),
    (err: unknown) => parentPort!.postMessage({ error: String(err) }),
  );
});
void workerData;
