// `capgate fleet status`: the followers of a relay's stream, as they report
// themselves over NATS (applied sequence, lag, bootstraps, gaps).
import type { Command } from "commander";
import { CapgateError } from "../../errors.js";
import { collectFleetStatus, connectNats, DEFAULT_STREAM, fleetNames, formatFleetStatus } from "../../fleet/index.js";

export function registerFleet(program: Command): void {
  const fleet = program.command("fleet").description("look at the sidecars following a relay over NATS");
  fleet
    .command("status")
    .description("list followers with their applied sequence and lag, from their answers on the status subject")
    .requiredOption("--nats <url>", "NATS server(s), e.g. nats://127.0.0.1:4222")
    .option("--stream <name>", "the relay's stream", DEFAULT_STREAM)
    .option("--wait <ms>", "how long to collect answers", "1500")
    .option("--format <format>", "text or json", "text")
    .action(async (o: { nats: string; stream: string; wait: string; format: string }) => {
      const names = fleetNames(o.stream);
      const waitMs = Number(o.wait);
      if (!Number.isInteger(waitMs) || waitMs < 10 || waitMs > 600_000) throw new CapgateError("invalid_input", `--wait must be an integer from 10 to 600000 (ms), got '${o.wait}'`);
      if (o.format !== "text" && o.format !== "json") throw new CapgateError("invalid_input", `--format must be text or json, got '${o.format}'`);
      const nc = await connectNats(o.nats, { name: "capgate fleet status" });
      try {
        const s = await collectFleetStatus(nc, names, waitMs);
        process.stdout.write((o.format === "json" ? JSON.stringify(s, null, 2) : formatFleetStatus(s).join("\n")) + "\n");
      } finally {
        await nc.close();
      }
    });
}
