// Connecting to NATS for the relay, followers and the one-shot commands. Long
// runners reconnect forever (a NATS restart must not end a sidecar); one-shot
// commands give up after a few attempts with a one-line error.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { CapgateError } from "../errors.js";

export interface NatsConnectOptions {
  /** Connection name shown by the server's monitoring. */
  name: string;
  /** Keep reconnecting forever (relay, follower); otherwise fail fast. */
  persistent?: boolean;
}

/** Checks a --nats value: nats://host:port, tls://..., or a comma-separated list of them. */
export function parseNatsUrl(url: string): string[] {
  const servers = url.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (servers.length === 0) throw new CapgateError("invalid_input", "--nats needs a URL such as nats://127.0.0.1:4222");
  for (const s of servers) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new CapgateError("invalid_input", `--nats ${JSON.stringify(s)} is not a URL (nats://host:port)`);
    }
    if (!["nats:", "tls:", "ws:", "wss:"].includes(u.protocol)) {
      throw new CapgateError("invalid_input", `--nats ${JSON.stringify(s)}: scheme must be nats:// or tls://`);
    }
  }
  return servers;
}

export async function connectNats(url: string, opts: NatsConnectOptions): Promise<NatsConnection> {
  const servers = parseNatsUrl(url);
  try {
    return await connect({
      servers,
      name: opts.name,
      maxReconnectAttempts: opts.persistent ? -1 : 3,
      reconnectTimeWait: 500,
      waitOnFirstConnect: opts.persistent === true,
      pingInterval: 5_000,
      maxPingOut: 2,
    });
  } catch (e) {
    throw new CapgateError("config_error", `cannot connect to NATS at ${servers.join(",")}: ${(e as Error).message}`, { cause: e });
  }
}
