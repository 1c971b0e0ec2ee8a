/**
 * The Docker Engine streams build, push and pull progress as JSON objects, one per line, in
 * chunks that may split a line. Yields each object; lines that are not JSON are yielded as
 * `{ stream: line }` so nothing the daemon said is lost.
 */
export interface EngineMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

export async function* jsonLines(stream: NodeJS.ReadableStream): AsyncGenerator<EngineMessage> {
  let buf = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  buf += decoder.decode();
  if (buf.trim()) yield parse(buf.trim());
}

function parse(line: string): EngineMessage {
  try {
    const v: unknown = JSON.parse(line);
    if (v && typeof v === 'object') return v as EngineMessage;
  } catch {
    // not JSON: keep it as log text
  }
  return { stream: `${line}\n` };
}

/** The error a message carries, if any. */
export function engineError(m: EngineMessage): string | undefined {
  return m.errorDetail?.message ?? m.error;
}
