import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

/** Where one stored entry's bytes are. */
export type SpoolSlot = { kind: 'memory'; data: Buffer } | { kind: 'file'; offset: number; length: number };

/**
 * Holds file contents between reading the source tarball and sending the build context: the
 * `.dockerignore` that decides what is sent may come after the files it ignores, so they must be
 * kept somewhere first. Small contexts (the usual case) stay in memory; past `memoryLimit` bytes,
 * contents go to one temp file that `dispose()` removes.
 */
export class Spool {
  private memoryBytes = 0;
  private dir: string | undefined;
  private file: FileHandle | undefined;
  private fileBytes = 0;

  constructor(
    private readonly memoryLimit = 16 * 1024 * 1024,
    private readonly tmpRoot = os.tmpdir(),
  ) {}

  /** Reads `stream` to its end and stores it; `size` is what the tar header announced. */
  async store(stream: AsyncIterable<Buffer>, size: number): Promise<SpoolSlot> {
    if (this.memoryBytes + size <= this.memoryLimit) {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c);
      this.memoryBytes += size;
      return { kind: 'memory', data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    }
    const fh = await this.openFile();
    const offset = this.fileBytes;
    for await (const c of stream) {
      let done = 0;
      while (done < c.length) {
        const { bytesWritten } = await fh.write(c, done, c.length - done, this.fileBytes);
        done += bytesWritten;
        this.fileBytes += bytesWritten;
      }
    }
    return { kind: 'file', offset, length: this.fileBytes - offset };
  }

  /** A stream of a stored entry's bytes. */
  read(slot: SpoolSlot): Readable {
    if (slot.kind === 'memory') return Readable.from([slot.data]);
    if (slot.length === 0) return Readable.from([]);
    return createReadStream(this.filePath(), { start: slot.offset, end: slot.offset + slot.length - 1 });
  }

  /** The whole content of a stored entry (for small files such as the Dockerfile). */
  async text(slot: SpoolSlot): Promise<string> {
    if (slot.kind === 'memory') return slot.data.toString('utf8');
    const chunks: Buffer[] = [];
    for await (const c of this.read(slot)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async dispose(): Promise<void> {
    const fh = this.file;
    this.file = undefined;
    await fh?.close().catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private async openFile(): Promise<FileHandle> {
    if (!this.file) {
      this.dir = await mkdtemp(path.join(this.tmpRoot, 'gantry-context-'));
      this.file = await open(this.filePath(), 'w+', 0o600);
    }
    return this.file;
  }

  private filePath(): string {
    return path.join(this.dir!, 'spool');
  }
}
