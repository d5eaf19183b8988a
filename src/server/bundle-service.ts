// The OPA bundle service client: `serve` takes its bundle from
// `{url}/{resource}` instead of a file. Each download sends the ETag of the
// bundle it has (If-None-Match) and a 304 changes nothing; a server answering
// with OPA's bundle content type is long-polled (`Prefer: wait=N`) and asked
// again at once, any other is polled every min..max delay; an error (network,
// 5xx, a corrupt, unsigned or wrongly signed bundle) backs off exponentially
// up to max_delay and keeps the last good bundle serving. Every activated
// bundle is kept on disk under `persistence_directory` (the file, then a
// pointer naming it with its ETag, each written by rename), so a restart with
// the service down serves the last one. Activation goes through the same
// loader as a file bundle, signature verification included.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { isCapgateError } from "../errors.js";

export interface BundleServiceSettings {
  url: string;
  resource: string;
  polling: { min_delay_seconds: number; max_delay_seconds: number; long_polling_timeout_seconds?: number | undefined };
  credentials?: { bearer?: string | { token: string; scheme: string } | undefined } | undefined;
  persistence_directory: string;
}

/** One bundle's status in OPA's shape (status API `bundles.{name}`, /health?bundles). */
export interface BundleStatus {
  name: string;
  active_revision?: string;
  last_successful_activation?: string;
  last_successful_download?: string;
  last_request?: string;
  last_successful_request?: string;
  http_code?: number;
  code?: string;
  message?: string;
  errors?: string[];
}

export interface BundleServiceDeps {
  settings: BundleServiceSettings;
  /** Loads and activates the bundle file (the engine's load); throws to refuse it. */
  activate: (path: string) => Promise<{ revision: string }>;
  log: Logger;
  clock?: () => number;
}

/** The media type of an OPA bundle server that long-polls (OPA's bundle plugin checks for it). */
export const OPA_BUNDLE_TYPE = "application/vnd.openpolicyagent.bundles";
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
const POINTER = "current.json";

export interface BundleService {
  /** Downloads (and activates) once now; resolves when tried. Exposed for tests and SIGHUP. */
  pollNow(): Promise<void>;
  status(): BundleStatus;
  /** True once a bundle (downloaded or persisted) has been activated. */
  readonly activated: boolean;
  close(): Promise<void>;
}

export async function startBundleService(deps: BundleServiceDeps): Promise<BundleService> {
  const { settings, log } = deps;
  const clock = deps.clock ?? Date.now;
  const iso = (): string => new Date(clock()).toISOString();
  const target = `${settings.url.replace(/\/+$/, "")}/${settings.resource.replace(/^\/+/, "")}`;
  const status: BundleStatus = { name: settings.resource };
  let etag: string | undefined;
  let activated = false;
  let failures = 0;
  let longPoll = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let abort: AbortController | null = null;
  let closed = false;
  mkdirSync(settings.persistence_directory, { recursive: true });

  const succeeded = (revision: string, at: string): void => {
    activated = true;
    status.active_revision = revision;
    status.last_successful_activation = at;
  };
  const failed = (code: string, message: string): void => {
    failures++;
    status.code = code;
    status.message = message;
    status.errors = [message];
  };

  // The persisted bundle first: a restart serves it even when the service is down.
  const persisted = readPointer(settings.persistence_directory);
  if (persisted !== null) {
    try {
      const b = await deps.activate(join(settings.persistence_directory, persisted.file));
      succeeded(b.revision, iso());
      etag = persisted.etag;
      log.info({ file: persisted.file, revision: b.revision }, "bundle service: serving the persisted bundle until the service answers");
    } catch (e) {
      log.error({ err: errorText(e) }, "bundle service: the persisted bundle was refused");
    }
  }

  const download = async (): Promise<void> => {
    status.last_request = iso();
    const headers: Record<string, string> = {};
    if (etag !== undefined) headers["if-none-match"] = etag;
    const auth = authorization(settings.credentials);
    if (auth !== undefined) headers["authorization"] = auth;
    const wait = settings.polling.long_polling_timeout_seconds;
    if (wait !== undefined) headers["prefer"] = `wait=${wait}`;
    abort = new AbortController();
    const timeout = ((wait ?? 0) + 30) * 1000;
    let res: Response;
    try {
      res = await fetch(target, { headers, signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeout)]) });
    } catch (e) {
      if (closed) return;
      longPoll = false;
      return failed("bundle_error", `GET ${target}: ${errorText(e)}`);
    }
    status.http_code = res.status;
    longPoll = wait !== undefined && (res.headers.get("content-type") ?? "").startsWith(OPA_BUNDLE_TYPE);
    if (res.status === 304) {
      await res.body?.cancel();
      status.last_successful_request = status.last_request;
      return cleared();
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return failed("bundle_error", `GET ${target}: server answered ${res.status}`);
    }
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > MAX_BUNDLE_BYTES) {
      await res.body?.cancel();
      return failed("bundle_error", `GET ${target}: bundle of ${declared} bytes is over the ${MAX_BUNDLE_BYTES}-byte limit`);
    }
    let bytes: Buffer;
    try {
      bytes = await readCapped(res, MAX_BUNDLE_BYTES);
    } catch (e) {
      return failed("bundle_error", `GET ${target}: ${errorText(e)}`);
    }
    status.last_successful_request = status.last_request;
    status.last_successful_download = iso();
    await activate(bytes, res.headers.get("etag") ?? undefined);
  };

  const cleared = (): void => {
    failures = 0;
    delete status.code;
    delete status.message;
    delete status.errors;
  };

  const activate = async (bytes: Buffer, newEtag: string | undefined): Promise<void> => {
    const file = `bundle-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.tar.gz`;
    const path = join(settings.persistence_directory, file);
    // The same bytes again (a server without ETags): nothing to activate.
    if (activated && readPointer(settings.persistence_directory)?.file === file) {
      etag = newEtag;
      return cleared();
    }
    writeAtomically(path, bytes);
    let revision: string;
    try {
      revision = (await deps.activate(path)).revision;
    } catch (e) {
      // The refused file goes; the persisted pointer still names the last good one.
      if (readPointer(settings.persistence_directory)?.file !== file) rmSync(path, { force: true });
      return failed("bundle_error", errorText(e));
    }
    const previous = readPointer(settings.persistence_directory);
    writeAtomically(join(settings.persistence_directory, POINTER), Buffer.from(JSON.stringify({ file, etag: newEtag ?? null })));
    if (previous !== null && previous.file !== file) rmSync(join(settings.persistence_directory, previous.file), { force: true });
    etag = newEtag;
    succeeded(revision, iso());
    cleared();
    log.info({ url: target, revision }, "bundle service: bundle activated");
  };

  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => void pollNow().finally(schedule), nextPollDelayMs(settings.polling, failures, longPoll));
    timer.unref();
  };

  const pollNow = (): Promise<void> => {
    if (inFlight === null) {
      inFlight = download()
        .catch((e: unknown) => failed("bundle_error", errorText(e)))
        .finally(() => {
          inFlight = null;
          if (status.errors !== undefined) log.warn({ url: target, err: status.message, failures }, "bundle service: download failed; the last good bundle keeps serving");
        });
    }
    return inFlight;
  };

  void pollNow().finally(schedule);

  return {
    pollNow,
    status: () => ({ ...status, ...(status.errors ? { errors: [...status.errors] } : {}) }),
    get activated() {
      return activated;
    },
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      abort?.abort();
      await inFlight;
    },
  };
}

/**
 * The wait before the next download: at once after a long-polling answer; a
 * random delay between min and max when all is well; after failures, min
 * doubled per failure up to max, with jitter (half to all of it) so a fleet
 * does not retry in step.
 */
export function nextPollDelayMs(
  polling: BundleServiceSettings["polling"],
  failures: number,
  longPoll: boolean,
  random: () => number = Math.random,
): number {
  const { min_delay_seconds: min, max_delay_seconds: max } = polling;
  if (failures > 0) return Math.min(max, min * 2 ** (failures - 1)) * 1000 * (0.5 + random() / 2);
  if (longPoll) return 0;
  return (min + random() * (max - min)) * 1000;
}

/** The Authorization header of a service's credentials (a bare string is a Bearer token). */
export function authorization(credentials: BundleServiceSettings["credentials"]): string | undefined {
  const bearer = credentials?.bearer;
  if (bearer === undefined) return undefined;
  return typeof bearer === "string" ? `Bearer ${bearer}` : `${bearer.scheme} ${bearer.token}`;
}

/** The body, refused once it passes `limit` bytes (a server that sends no length, or lies about it). */
async function readCapped(res: Response, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  if (res.body === null) return Buffer.alloc(0);
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`bundle is over the ${limit}-byte limit`);
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

function readPointer(dir: string): { file: string; etag: string | undefined } | null {
  try {
    const p = JSON.parse(readFileSync(join(dir, POINTER), "utf8")) as { file?: unknown; etag?: unknown };
    if (typeof p.file !== "string" || !/^bundle-[0-9a-f]{16}\.tar\.gz$/.test(p.file)) return null;
    return { file: p.file, etag: typeof p.etag === "string" ? p.etag : undefined };
  } catch {
    return null;
  }
}

function writeAtomically(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function errorText(e: unknown): string {
  if (isCapgateError(e)) return e.format();
  return e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e);
}
