import http from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  /** when it arrived (ms since the epoch) */
  at: number;
}

/**
 * A server-sent events client over plain HTTP, as a browser's EventSource reads the stream: the
 * events as they arrive (comments and `retry:` skipped, multi-line data joined), the response,
 * and the stream's end. `paused` leaves the response unread, standing for a viewer that stopped
 * reading.
 */
export function sse(url: string, o: { headers?: Record<string, string>; paused?: boolean } = {}) {
  const events: SseEvent[] = [];
  let status = 0;
  let req!: http.ClientRequest;
  let onRes!: (r: http.IncomingMessage) => void;
  const response = new Promise<http.IncomingMessage>((r) => (onRes = r));
  const ended = new Promise<void>((resolve, reject) => {
    req = http.get(url, { headers: { accept: 'text/event-stream', ...o.headers } }, (res) => {
      status = res.statusCode ?? 0;
      if (o.paused) res.pause();
      onRes(res);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { event: 'message', data: '', at: Date.now() };
          let data = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line.startsWith('retry:')) continue;
            const [k, ...rest] = line.split(': ');
            const v = rest.join(': ');
            if (k === 'id') e.id = v;
            else if (k === 'event') e.event = v;
            else if (k === 'data') (e.data = data ? `${e.data}\n${v}` : v), (data = true);
          }
          if (data) events.push(e);
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { events, ended, response, status: () => status, close: () => req.destroy() };
}
