/**
 * Reading a CLI input file or stdin up to a byte cap: the rest is counted, not kept, and a cut
 * input ends at its last complete line, so a 10 MB file gives a warning, never a crash.
 * Shared by `coherence` and `analyze`.
 */
import { open } from 'node:fs/promises';

export interface InputText {
  text: string;
  totalBytes: number;
  /** True when only the first `maxBytes` were kept. */
  cut: boolean;
}

export async function readFileCapped(path: string, maxBytes: number): Promise<InputText> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new Error(`${path} is a folder, not a file`);
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return decodeCapped(buffer.subarray(0, bytesRead), stats.size);
  } finally {
    await handle.close();
  }
}

/** Reads a stream to its end, keeping the first `maxBytes` (the rest is counted, not kept). */
export async function readStreamCapped(stream: NodeJS.ReadableStream, maxBytes: number): Promise<InputText> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (kept < maxBytes) {
      const part = bytes.subarray(0, maxBytes - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  return decodeCapped(Buffer.concat(chunks), total);
}

/** UTF-8 text of the kept bytes; a cut input ends at its last complete line. */
function decodeCapped(bytes: Buffer, totalBytes: number): InputText {
  const cut = totalBytes > bytes.length;
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (cut) {
    const lastBreak = text.lastIndexOf('\n');
    text = lastBreak > 0 ? text.slice(0, lastBreak + 1) : text.replace(/\uFFFD$/, '');
  }
  return { text, totalBytes, cut };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}
