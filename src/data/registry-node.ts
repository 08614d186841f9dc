// Finding, downloading and verifying the registered data sets' files (Node only).
//
// Lookup order for a registered file (first hit wins):
//   1. options.dataDir            (the CLI's --data-dir)
//   2. $HANDGRAD_DATA
//   3. the cache: options.cacheDir, else $XDG_CACHE_HOME/handgrad, else ~/.cache/handgrad
//   4. the data set's system folders (Debian's /usr/share/datasets/fashion-mnist)
// In each folder both <dir>/<name>/<file> and <dir>/<file> are tried, gzipped (.gz) or not (IDX
// files; a zip is looked for under its own name only).
// If no copy is found and downloads are allowed, the file is fetched from the mirrors into
// <cache>/<name>/<file>: streamed to a temporary file beside it, hashed on the way, fsynced,
// and renamed into place only when the SHA-256 matches, so a crash or a bad mirror never
// leaves a partial or wrong file under the real name.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataError } from './errors.js';
import { readDataFile } from './file-node.js';
import { gunzipIdx, isGzip } from './idx.js';
import { datasetNames, registeredDataset, type RegisteredFile } from './registry.js';

export interface LocateOptions {
  dataDir?: string;
  cacheDir?: string;
  /** Allow downloads when no local copy exists (default true). */
  download?: boolean;
  /** Replaces the data set's mirrors (tests point this at a local server). */
  mirrors?: string[];
  /** Replaces the data set's system folders (default: the registry's). */
  systemDirs?: string[];
  /** Environment (default process.env), for HANDGRAD_DATA / XDG_CACHE_HOME. */
  env?: Record<string, string | undefined>;
  /** Progress and notices ("downloading …"). */
  log?: (message: string) => void;
  /** fetch implementation (default the global one). */
  fetch?: typeof fetch;
}

export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return xdg ? join(xdg, 'handgrad') : join(homedir(), '.cache', 'handgrad');
}

/** The folders searched, in order, for data set `name`. */
export function searchDirs(name: string, options: LocateOptions = {}): string[] {
  const env = options.env ?? process.env;
  const dirs: string[] = [];
  if (options.dataDir) dirs.push(options.dataDir);
  const envDir = env['HANDGRAD_DATA'];
  if (envDir) dirs.push(envDir);
  dirs.push(options.cacheDir ?? defaultCacheDir(env));
  const reg = registeredDataset(name);
  if (reg && reg.kind === 'idx') dirs.push(...(options.systemDirs ?? reg.systemDirs));
  return dirs;
}

/** Candidate paths of `file` under the search folders: gzipped or not when `gz` (IDX files), else the name alone. */
function candidates(name: string, file: string, dirs: string[], gz: boolean): string[] {
  const bare = file.endsWith('.gz') ? file.slice(0, -3) : file;
  const names = gz ? [`${bare}.gz`, bare] : [file];
  const out: string[] = [];
  for (const d of dirs) for (const sub of [join(d, name), d]) for (const f of names) out.push(join(sub, f));
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks `bytes` (read from `path`) against a registered file: the .gz sum, or the sum of the
 * decompressed content. Returns what matched; throws when a known sum does not match.
 */
export function verifyRegistered(path: string, bytes: Uint8Array, spec: RegisteredFile, hint = ''): 'gz' | 'content' | 'unverified' {
  return verifyAndInflate(path, bytes, spec, hint).checked;
}

/** Checks `bytes` (read from `path`) against a file that has one form only (a zip): its SHA-256 must match. */
export function verifyExact(path: string, bytes: Uint8Array, spec: RegisteredFile, hint = ''): 'sha256' {
  const sum = sha256Hex(bytes);
  if (sum !== spec.sha256) throw new DataError(path, `checksum mismatch: SHA-256 ${sum}; expected ${spec.sha256} for ${spec.file}${hint}`);
  return 'sha256';
}

/** verifyRegistered, also returning the decompressed bytes when it had to inflate them. */
function verifyAndInflate(
  path: string,
  bytes: Uint8Array,
  spec: RegisteredFile,
  hint = '',
): { checked: 'gz' | 'content' | 'unverified'; raw: Uint8Array } {
  const sum = sha256Hex(bytes);
  if (sum === spec.sha256) return { checked: 'gz', raw: bytes };
  let raw = bytes;
  // Registered files are IDX: inflated within the size their header announces.
  if (isGzip(bytes)) raw = gunzipIdx(bytes, path);
  if (spec.rawSha256) {
    const rawSum = raw === bytes ? sum : sha256Hex(raw);
    if (rawSum === spec.rawSha256) return { checked: 'content', raw };
    throw new DataError(
      path,
      `checksum mismatch: SHA-256 ${sum}${raw !== bytes ? ` (content ${rawSum})` : ''}; expected ${spec.sha256} for ${spec.file} or content ${spec.rawSha256}${hint}`,
    );
  }
  if (raw !== bytes) {
    throw new DataError(path, `checksum mismatch: SHA-256 ${sum}; expected ${spec.sha256} for ${spec.file}${hint}`);
  }
  return { checked: 'unverified', raw };
}

/** The most bytes a download may bring unless its caller says otherwise (the largest registered file is ~30 MB). */
export const DOWNLOAD_LIMIT = 256 * 1024 * 1024;

/**
 * Downloads `urls[0]`, else `urls[1]`, … to `dest` atomically, accepting the bytes only when
 * `accept(bytes)` returns (it throws on a bad checksum). A response that announces or brings more
 * than `maxBytes` (default DOWNLOAD_LIMIT) is cut off there and counts as a failed mirror. Errors
 * list every URL and why it failed.
 */
export async function downloadVerified(
  urls: string[],
  dest: string,
  accept: (bytes: Uint8Array, url: string) => void,
  options: { fetch?: typeof fetch; log?: (m: string) => void; maxBytes?: number } = {},
): Promise<void> {
  const maxBytes = options.maxBytes ?? DOWNLOAD_LIMIT;
  const doFetch = options.fetch ?? globalThis.fetch;
  const failures: string[] = [];
  mkdirSync(dirname(dest), { recursive: true });
  for (const url of urls) {
    const tmp = `${dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      options.log?.(`downloading ${url}`);
      const res = await doFetch(url, { redirect: 'follow' });
      if (!res.ok || !res.body) {
        failures.push(`${url}: HTTP ${res.status} ${res.statusText}`);
        continue;
      }
      const announced = Number(res.headers.get('content-length') ?? NaN);
      if (announced > maxBytes) {
        failures.push(`${url}: announces ${announced} bytes, more than the ${maxBytes} a download may bring`);
        await res.body.cancel();
        continue;
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      const fh = await open(tmp, 'wx');
      try {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.length;
          if (total > maxBytes) {
            await reader.cancel();
            throw new DataError(url, `brought more than the ${maxBytes} bytes a download may bring; stopped there`);
          }
          chunks.push(value);
          await fh.write(value);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const bytes = new Uint8Array(total);
      let o = 0;
      for (const c of chunks) {
        bytes.set(c, o);
        o += c.length;
      }
      accept(bytes, url);
      renameSync(tmp, dest);
      options.log?.(`saved ${dest} (${total} bytes, checksum ok)`);
      return;
    } catch (e) {
      failures.push(`${url}: ${e instanceof DataError ? e.detail : (e as Error).message}`);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  throw new DataError(dest, `download failed from every mirror:\n  ${failures.join('\n  ')}`);
}

export interface LocatedFile {
  path: string;
  /** The file's bytes, or its decompressed content when verifying had to inflate it (IDX parsers take either). */
  bytes: Uint8Array;
  /** 'gz' | 'content' (an IDX file's checksum matched) | 'sha256' (a zip's matched) | 'unverified' | 'downloaded'. */
  checked: string;
}

/**
 * Finds (or downloads) one registered file of data set `name` and verifies it: an IDX file
 * (gzipped or not, by either sum) or one of Omniglot-small's zips (by its own sum).
 */
export async function locateRegisteredFile(name: string, spec: RegisteredFile, options: LocateOptions = {}): Promise<LocatedFile> {
  const reg = registeredDataset(name);
  if (!reg || (reg.kind !== 'idx' && reg.kind !== 'omniglot-zips')) {
    throw new DataError(name, `not a registered data set of downloadable files (registered: ${datasetNames().join(', ')})`);
  }
  const idx = reg.kind === 'idx';
  const verify = (path: string, bytes: Uint8Array, hint = ''): { checked: string; raw: Uint8Array } =>
    idx ? verifyAndInflate(path, bytes, spec, hint) : { checked: verifyExact(path, bytes, spec, hint), raw: bytes };
  const dirs = searchDirs(name, options);
  const tried = candidates(name, spec.file, dirs, idx);
  for (const p of tried) {
    if (!isFile(p)) continue;
    const bytes = readDataFile(p);
    const { checked, raw } = verify(p, bytes, '. Delete or replace this copy (it is searched before the download cache).');
    return { path: p, bytes: raw, checked };
  }
  const cache = options.cacheDir ?? defaultCacheDir(options.env ?? process.env);
  const dest = join(cache, name, spec.file);
  if (options.download === false) {
    throw new DataError(
      spec.file,
      `not found, and downloads are off. Looked in:\n  ${dirs.join('\n  ')}\nPut the file in one of them or allow downloads.`,
    );
  }
  const mirrors = options.mirrors ?? reg.mirrors;
  await downloadVerified(
    mirrors.map((m) => m + spec.file),
    dest,
    (bytes, url) => void verify(url, bytes),
    { ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.log ? { log: options.log } : {}) },
  );
  return { path: dest, bytes: readDataFile(dest), checked: 'downloaded' };
}

/** Finds omniglot_12.pkl (or another registered pickle) in the data folders. */
export function locateRegisteredPickle(name: string, options: LocateOptions = {}): string {
  const reg = registeredDataset(name);
  if (!reg || reg.kind !== 'pickle') throw new DataError(name, `not a registered pickle data set (registered: ${datasetNames().join(', ')})`);
  const dirs = searchDirs(name, options);
  for (const d of dirs) for (const p of [join(d, name, reg.file), join(d, reg.file)]) if (existsSync(p)) return p;
  throw new DataError(reg.file, `not found. Looked in:\n  ${dirs.join('\n  ')}\n${reg.howToGet}`);
}
