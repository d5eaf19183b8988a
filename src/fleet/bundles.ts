// Policy bundles over the fleet's channel: `capgate policy publish` puts a
// bundle in the `<stream>_bundles` object store; a sidecar with
// `bundle_source: nats` watches it, writes each new bundle to a file beside
// its replica and hands the file to the server's own bundle loading, which
// verifies the signature when a key is configured and keeps the last good
// bundle when the new one is refused.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { CapgateError } from "../errors.js";
import { readBundle } from "../policy/bundle.js";
import { sleep } from "../sync/index.js";
import { BUNDLE_OBJECT, type FleetNames } from "./names.js";
import { objectStore } from "./resources.js";

export interface PublishedBundle {
  bucket: string;
  revision: string;
  bytes: number;
  sha256: string;
  signed: boolean;
}

/** Checks that `file` is a bundle capgate can load (structure only) and puts it in the object store. */
export async function publishBundle(nc: NatsConnection, names: FleetNames, file: string): Promise<PublishedBundle> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CapgateError("invalid_input", `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let bundle;
  try {
    bundle = await readBundle(bytes);
  } catch (e) {
    throw new CapgateError("bundle_error", `${file}: not a policy bundle: ${(e as Error).message.split("\n")[0]}`);
  }
  const revision = bundle.manifest.revision ?? "";
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const store = (await objectStore(nc, names.bundleBucket, true))!;
  await store.putBlob({ name: BUNDLE_OBJECT, metadata: { revision, sha256, signed: String(bundle.signed) } }, bytes);
  return { bucket: names.bundleBucket, revision, bytes: bytes.length, sha256, signed: bundle.signed };
}

export interface BundleWatchOptions {
  nc: NatsConnection;
  names: FleetNames;
  /** Where downloaded bundles are written (a new file per bundle, then this path by rename). */
  path: string;
  /** Loads the bundle file; throws to refuse it (the caller keeps its last good bundle). */
  load: (path: string) => Promise<void>;
  signal: AbortSignal;
  onNote: (line: string) => void;
}

/** Watches the bundle object until the signal aborts; every error is noted and retried. */
export async function watchBundles(o: BundleWatchOptions): Promise<void> {
  let loaded = "";
  while (!o.signal.aborted) {
    try {
      const store = await objectStore(o.nc, o.names.bundleBucket, false);
      if (store === undefined) throw new CapgateError("bundle_error", `no bundle bucket ${o.names.bundleBucket} yet (capgate policy publish creates it)`);
      const updates = await store.watch({ includeHistory: true, ignoreDeletes: true });
      const stop = (): void => void updates.stop();
      o.signal.addEventListener("abort", stop, { once: true });
      try {
        for await (const info of updates) {
          if (info.name !== BUNDLE_OBJECT || info.deleted || info.digest === loaded) continue;
          const r = await store.get(BUNDLE_OBJECT);
          if (r === null) continue;
          const bytes = new Uint8Array(await new Response(r.data).arrayBuffer());
          const transport = await r.error;
          if (transport) throw new CapgateError("bundle_error", `bundle object: ${transport.message}`);
          const tmp = `${o.path}.tmp-${randomUUID().slice(0, 8)}`;
          writeFileSync(tmp, bytes);
          try {
            await o.load(tmp);
            renameSync(tmp, o.path);
            o.onNote(`loaded bundle revision ${info.metadata?.["revision"] ?? "?"} from ${o.names.bundleBucket}`);
          } catch (e) {
            o.onNote(`refused bundle revision ${info.metadata?.["revision"] ?? "?"} from ${o.names.bundleBucket}: ${(e as Error).message.split("\n")[0]}; the last good bundle keeps serving`);
          } finally {
            rmSync(tmp, { force: true });
          }
          // Remembered either way: a refused bundle is not retried until another is published.
          loaded = info.digest;
        }
      } finally {
        o.signal.removeEventListener("abort", stop);
      }
    } catch (e) {
      if (o.signal.aborted) break;
      o.onNote(`bundle watch: ${(e as Error).message.split("\n")[0]}; retrying`);
    }
    await sleep(2000, o.signal);
  }
}
