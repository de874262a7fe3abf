/**
 * What the tests that drive the Slack-compatible API with Slack's own clients share: the
 * framework-free handler served on a plain node:http server (as the web app mounts it on
 * /api/slack/), and the Slack error code of a failed `@slack/web-api` call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Serves a fetch-style handler on node:http (bodies buffered: API calls and test uploads are
 * small). The handler sees the server's own origin in `req.url`; `base` is its /api/slack/.
 */
export function serve(
  handler: (req: Request) => Promise<Response>,
): Promise<{ server: Server; base: string }> {
  let origin = "";
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      handler(
        new Request(`${origin}${req.url ?? "/"}`, {
          method: req.method ?? "GET",
          headers,
          ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
        }),
      )
        .then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({ server, base: `${origin}/api/slack/` });
    }),
  );
}

/** The Slack error code of a failed WebClient call. */
export async function slackError(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  const data = (err as { data?: { error?: string } }).data;
  if (!data?.error) throw err;
  return data.error;
}
