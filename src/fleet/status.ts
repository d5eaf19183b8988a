// `capgate fleet status`: what the fleet looks like from NATS. Followers
// answer a ping on the status subject with their report; the stream's end and
// the lease holder come from JetStream itself. A report that is garbage is
// listed as such, never trusted.
import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { encodeJson, parseStatusReport, type StatusReport } from "./messages.js";
import { LEASE_KEY, type FleetNames } from "./names.js";
import { jetstreamManager, streamInfo } from "./resources.js";

export interface FleetStatus {
  stream: { name: string; first_seq: number; last_seq: number; messages: number } | null;
  leader: string | null;
  followers: StatusReport[];
  /** Replies that were not status reports, one line each. */
  garbage: string[];
}

export async function collectFleetStatus(nc: NatsConnection, names: FleetNames, waitMs: number): Promise<FleetStatus> {
  const jsm = await jetstreamManager(nc);
  const info = await streamInfo(jsm, names.stream);
  let leader: string | null = null;
  try {
    const kv = await new Kvm(nc).open(names.leaseBucket);
    const e = await kv.get(LEASE_KEY);
    if (e !== null && e.operation === "PUT") leader = String((e.json() as { relay?: unknown }).relay ?? "?");
  } catch {
    leader = null;
  }
  const followers = new Map<string, StatusReport>();
  const garbage: string[] = [];
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, {
    callback: (err, m) => {
      if (err !== null) return;
      try {
        const r = parseStatusReport(m.data);
        followers.set(r.id, r);
      } catch (e) {
        garbage.push((e as Error).message);
      }
    },
  });
  nc.publish(names.statusPing, encodeJson({ at: new Date().toISOString() }), { reply: inbox });
  await new Promise((r) => setTimeout(r, waitMs));
  sub.unsubscribe();
  return {
    stream: info === undefined ? null : { name: names.stream, first_seq: info.state.first_seq, last_seq: info.state.last_seq, messages: info.state.messages },
    leader,
    followers: [...followers.values()].sort((a, b) => a.id.localeCompare(b.id)),
    garbage,
  };
}

/** The status as text lines: a header, then one line per follower. */
export function formatFleetStatus(s: FleetStatus): string[] {
  const lines = [
    s.stream === null
      ? "stream: none (no relay has run on it)"
      : `stream ${s.stream.name}: sequences ${s.stream.first_seq}..${s.stream.last_seq} (${s.stream.messages} messages), relay leading: ${s.leader ?? "none"}`,
    `${s.followers.length} follower${s.followers.length === 1 ? "" : "s"} answered`,
  ];
  if (s.followers.length > 0) lines.push(["follower", "state", "applied_seq", "behind", "watermark", "lag_s", "bootstraps", "gaps"].join("\t"));
  for (const f of s.followers) {
    const behind = s.stream === null || f.stream_seq === null ? "?" : String(Math.max(0, s.stream.last_seq - f.stream_seq));
    lines.push([f.id, f.state, f.stream_seq ?? "-", behind, f.watermark ?? "-", f.lag_seconds === null ? "-" : f.lag_seconds.toFixed(1), f.bootstraps, f.gaps].join("\t"));
  }
  for (const g of s.garbage) lines.push(`ignored a reply: ${g}`);
  return lines;
}
