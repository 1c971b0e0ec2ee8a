import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * git's wire formats for a push (gitprotocol-pack, gitformat-pack): a pack (whole objects, or
 * deltas against objects the remote has), pkt-lines, the ref advertisement and receive-pack's report-status. See send-pack.ts.
 */
export interface PackObject {
  type: 'commit' | 'tree' | 'blob';
  body: Buffer;
  /**
   * An object the remote has (the tree this one was edited from): the pack then carries only a delta
   * against it, as git push's thin packs do. A one-entry edit of a 5,000-entry tree is a few dozen
   * bytes instead of the ~200 KB tree.
   */
  base?: { id: string; body: Buffer };
}

const TYPE_CODE = { commit: 1, tree: 2, blob: 3 } as const;
const REF_DELTA = 7;

/** An object's header in a pack: 3 bits of type and 4 of size, then 7 bits of size per byte. */
function objectHeader(type: number, size: number): Buffer {
  const bytes = [(type << 4) | (size & 0x0f)];
  size = Math.floor(size / 16);
  while (size > 0) {
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push(size & 0x7f);
    size = Math.floor(size / 128);
  }
  return Buffer.from(bytes);
}

/** A size in a delta's header: 7 bits per byte, least significant first. */
function deltaSize(n: number, out: number[]): void {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
}

/**
 * git's delta of `target` against `source` (gitformat-pack, "deltified representation"): the bytes
 * both begin with and end with are copied from the source, the rest is inserted. gantry's edits cut
 * and put entries in one place of a tree, so this is the whole difference.
 */
export function delta(source: Buffer, target: Buffer): Buffer {
  const max = Math.min(source.length, target.length);
  let head = 0;
  while (head < max && source[head] === target[head]) head++;
  let tail = 0;
  while (tail < max - head && source[source.length - 1 - tail] === target[target.length - 1 - tail]) tail++;
  const out: number[] = [];
  deltaSize(source.length, out);
  deltaSize(target.length, out);
  const copy = (offset: number, size: number) => {
    while (size > 0) {
      const n = Math.min(size, 0xffffff);
      let cmd = 0x80;
      const args: number[] = [];
      for (let i = 0; i < 4; i++) {
        const b = Math.floor(offset / 2 ** (8 * i)) & 0xff;
        if (b) (cmd |= 1 << i), args.push(b);
      }
      for (let i = 0; i < 3; i++) {
        const b = (n >> (8 * i)) & 0xff;
        if (b) (cmd |= 0x10 << i), args.push(b);
      }
      out.push(cmd, ...args);
      offset += n;
      size -= n;
    }
  };
  copy(0, head);
  for (let at = head; at < target.length - tail; at += 127) {
    const chunk = target.subarray(at, Math.min(at + 127, target.length - tail));
    out.push(chunk.length, ...chunk);
  }
  copy(source.length - tail, tail);
  return Buffer.from(out);
}

/**
 * A version 2 pack of `objects`, with its trailing checksum in `algo`. An object with a `base` is
 * sent as a delta against it when that is less than half its size; the rest whole.
 */
export function packOf(objects: readonly PackObject[], algo: 'sha1' | 'sha256'): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [head];
  for (const o of objects) {
    const d = o.base ? delta(o.base.body, o.body) : undefined;
    if (d && o.base && d.length < o.body.length / 2) {
      parts.push(objectHeader(REF_DELTA, d.length), Buffer.from(o.base.id, 'hex'), deflateSync(d, { level: 1 }));
    } else {
      parts.push(objectHeader(TYPE_CODE[o.type], o.body.length), deflateSync(o.body, { level: 1 }));
    }
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash(algo).update(body).digest()]);
}

/** One pkt-line: four hex digits of length (their own included), then the payload. */
export function pkt(payload: string | Buffer): Buffer {
  const b = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0'), 'latin1'), b]);
}
export const FLUSH = Buffer.from('0000', 'latin1');

/**
 * Reads pkt-lines from `buf` from `at`: each payload, or null for a flush; `next` is where the
 * first incomplete line starts. Throws on a length that is no length.
 */
export function readPkts(buf: Buffer, at = 0): { lines: (Buffer | null)[]; next: number } {
  const lines: (Buffer | null)[] = [];
  while (at + 4 <= buf.length) {
    const hex = buf.toString('latin1', at, at + 4);
    if (!/^[0-9a-f]{4}$/.test(hex)) throw new Error(`not a pkt-line: ${JSON.stringify(hex)}`);
    const len = parseInt(hex, 16);
    if (len === 0) {
      lines.push(null);
      at += 4;
      continue;
    }
    if (len < 4) throw new Error(`pkt-line of length ${len}`);
    if (at + len > buf.length) break;
    lines.push(buf.subarray(at + 4, at + len));
    at += len;
  }
  return { lines, next: at };
}

export interface Advertisement {
  refs: Map<string, string>;
  caps: Set<string>;
}

/** The ref advertisement up to its flush, or undefined when it is not complete yet. */
export function parseAdvertisement(buf: Buffer): { ad: Advertisement; next: number } | undefined {
  const { lines } = readPkts(buf);
  const refs = new Map<string, string>();
  let caps = new Set<string>();
  let first = true;
  let end = -1;
  let at = 0;
  for (const l of lines) {
    at += l === null ? 4 : l.length + 4;
    if (l === null) {
      end = at;
      break;
    }
    const text = l.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('version ') || text.startsWith('shallow ')) continue;
    const [line, capText] = text.split('\0') as [string, string | undefined];
    if (first && capText !== undefined) caps = new Set(capText.split(' ').filter(Boolean));
    first = false;
    const m = /^([0-9a-f]{40,64}) (.+)$/.exec(line);
    if (m && m[2] !== 'capabilities^{}') refs.set(m[2]!, m[1]!);
  }
  if (end < 0) return undefined;
  return { ad: { refs, caps }, next: end };
}

export interface Report {
  unpack: string;
  refs: Map<string, string>;
  /** what the remote said on the way (side-band 2: hooks' output, `remote:` lines in git push) */
  messages: string[];
}

/** report-status: `unpack ok`, then `ok <ref>` or `ng <ref> <reason>` per command. */
export function parseReport(buf: Buffer, sideband: boolean): Report {
  let report = buf;
  const said: Buffer[] = [];
  if (sideband) {
    const data: Buffer[] = [];
    for (const l of readPkts(buf).lines) {
      if (l && l[0] === 1) data.push(l.subarray(1));
      else if (l && l[0] === 2) said.push(l.subarray(1));
    }
    report = Buffer.concat(data);
  }
  const messages = Buffer.concat(said)
    .toString('utf8')
    .split(/[\r\n]+/)
    .map((m) => m.trim())
    .filter(Boolean);
  let unpack = 'missing';
  const refs = new Map<string, string>();
  for (const l of readPkts(report).lines) {
    if (!l) continue;
    const text = l.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('unpack ')) unpack = text.slice('unpack '.length);
    else if (text.startsWith('ok ')) refs.set(text.slice(3), 'ok');
    else if (text.startsWith('ng ')) {
      const [ref, ...why] = text.slice(3).split(' ');
      refs.set(ref!, why.join(' ') || 'refused');
    }
  }
  return { unpack, refs, messages };
}
