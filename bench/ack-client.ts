import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'node:http';

/**
 * The load side of the Slack ack benchmark, on its own thread so its event loop does not share
 * time with the server it measures: sends `bodies` at once, answers each request's latency.
 */
interface Job {
  url: string;
  requests: { body: string; headers: Record<string, string> }[];
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function send(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

parentPort!.on('message', (job: Job) => {
  Promise.all(job.requests.map((r) => send(job.url, r.body, r.headers))).then(
    (times) => parentPort!.postMessage({ times }),
    (err: unknown) => parentPort!.postMessage({ error: String(err) }),
  );
});
void workerData;
