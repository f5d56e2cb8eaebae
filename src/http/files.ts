/**
 * File serving shared by the HTTP/0.9 and HTTP/3 servers: a request target is turned into path
 * segments below a root, and the regular file they name is opened without ever reading anything
 * outside the root.
 *
 * The target is percent-decoded and its dot segments resolved (RFC 3986 §5.2.4) before anything
 * touches the file system; a target that climbs above the root, contains an empty segment
 * (`//x`), a NUL, a backslash or an encoded slash is refused. The resolved file is then checked
 * with realpath, so a symbolic link leading outside the root is refused too, and it is opened
 * with O_NOFOLLOW and compared (device, inode) with what was checked.
 */
import { constants, realpathSync, statSync, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** Why a file cannot be served: the request is unacceptable, or there is no such file to serve. */
export type FileRefusalKind = 'bad_request' | 'not_found';

/** A target that cannot be served, and why. */
export class FileRefusal extends Error {
  override name = 'FileRefusal';
  constructor(
    readonly kind: FileRefusalKind,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * The path segments a request target names below the root, or the reason it names none. Query
 * and fragment (`?…`, `#…`) are dropped; segments are percent-decoded (UTF-8) and then dot
 * segments resolved.
 */
export function resolveTargetPath(target: string): string[] | { reason: string } {
  const end = target.search(/[?#]/);
  const path = end >= 0 ? target.slice(0, end) : target;
  if (!path.startsWith('/')) return { reason: 'path does not start with "/"' };
  const out: string[] = [];
  const raw = path.slice(1).split('/');
  for (let i = 0; i < raw.length; i++) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw[i]!);
    } catch {
      return { reason: 'bad percent-encoding' };
    }
    if (seg === '') return { reason: i === raw.length - 1 && out.length > 0 ? 'path ends with "/" (a directory)' : 'empty path segment' };
    if (/[\0/\\]/.test(seg)) return { reason: 'NUL, slash or backslash inside a path segment' };
    if (/[\x00-\x1f\x7f]/.test(seg)) return { reason: 'control character in path' };
    if (seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { reason: 'path leaves the root' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  if (out.length === 0) return { reason: 'path names the root directory' };
  return out;
}

/** Flags for opening a served file: read-only, never through a final symbolic link, never blocking on a FIFO. */
export const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** Bytes read from a file at a time. */
export const READ_CHUNK = 64 * 1024;

/** A directory whose regular files are served. */
export class FileRoot {
  /** The root's real path. */
  readonly root: string;
  private readonly rootPrefix: string;

  /** Startup only: the root must exist and be a directory (`label` names the server in the error). */
  constructor(root: string, label = 'http') {
    const real = realpathSync(root);
    if (!statSync(real).isDirectory()) throw new Error(`${label}: root ${root} is not a directory`);
    this.root = real;
    this.rootPrefix = real.endsWith(sep) ? real : real + sep;
  }

  /**
   * Opens the regular file the segments name below the root. The path is resolved with realpath
   * and must stay below the root; the file is opened without following a final link and must be
   * the one that was checked. Throws a FileRefusal otherwise.
   */
  async open(segments: readonly string[]): Promise<{ handle: FileHandle; stats: Stats }> {
    const lexical = join(this.root, ...segments);
    if (!lexical.startsWith(this.rootPrefix)) throw new FileRefusal('bad_request', 'path leaves the root');
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      throw new FileRefusal('not_found', 'no such file');
    }
    if (!real.startsWith(this.rootPrefix)) throw new FileRefusal('not_found', 'resolves outside the root');
    // Checked before opening: opening a FIFO or device could block or have side effects.
    const before = await stat(real).catch(() => undefined);
    if (before === undefined || !before.isFile()) throw new FileRefusal('not_found', before?.isDirectory() ? 'is a directory' : 'not a regular file');
    let handle: FileHandle;
    try {
      handle = await open(real, OPEN_FLAGS);
    } catch (e) {
      throw new FileRefusal('not_found', `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const after = await handle.stat().catch(() => undefined);
    if (after === undefined || !after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
      await handle.close().catch(() => {});
      throw new FileRefusal('not_found', 'file changed while opening');
    }
    return { handle, stats: after };
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
};

/** The media type served for a file name, by its extension; application/octet-stream when unknown. */
export function contentType(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}
