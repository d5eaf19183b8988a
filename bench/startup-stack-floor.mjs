// The start-up floor of the HTTP stack capgate serves with, for bench/startup.ts:
// a one-route Hono app on @hono/node-server, started as `capgate serve` is and
// timed until it prints that it listens. Nothing of capgate's is loaded, so the
// gap between this and `node -e 0` is what the stack alone costs to start
// (Node's http, and the internal undici that the adapter's Request and Response
// load) before a policy, a replica or a config is read.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/decide", (c) => c.json({ allow: false }));
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  console.log(`stack floor listening on http://127.0.0.1:${info.port}`);
});
