/**
 * A local HTTP server for link preview tests: pages with metadata, a slow page, a huge page, an
 * image, redirects (to itself and to a private address), and a count of requests per path.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** The page a preview should show (title, description, site name, image). */
export const PAGE_HTML = `<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="Parley release notes">
<meta property="og:description" content="Everything new in this release.">
<meta property="og:site_name" content="Parley blog">
<meta property="og:image" content="/cover.png"></head><body>hello</body></html>`;

export type TPreviewServer = {
  origin: string;
  host: string;
  hits: Map<string, number>;
  /** Bytes the server managed to write for /huge before the client stopped reading. */
  hugeBytesSent: () => number;
  close: () => Promise<void>;
};

/** Starts the server on 127.0.0.1 and a free port; `privateTarget` is where /to-private redirects. */
export async function startPreviewServer(privateTarget = "http://10.0.0.1/"): Promise<TPreviewServer> {
  const hits = new Map<string, number>();
  let hugeBytes = 0;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (req.headers.cookie || req.headers.authorization) {
      res.writeHead(400).end("credentials sent");
      return;
    }
    switch (path) {
      case "/page":
      case "/page2":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE_HTML);
        return;
      case "/hop":
        res.writeHead(302, { location: "/page" }).end();
        return;
      case "/to-private":
        res.writeHead(302, { location: privateTarget }).end();
        return;
      case "/loop":
        res.writeHead(302, { location: "/loop" }).end();
        return;
      case "/image":
        res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(100));
        return;
      case "/slow":
        // Headers, then nothing: the fetch's time limit must end it.
        res.writeHead(200, { "content-type": "text/html" });
        res.write("<html><head>");
        return;
      case "/huge": {
        // A head that never closes, streamed for as long as the client reads.
        res.writeHead(200, { "content-type": "text/html" });
        res.write('<html><head><meta property="og:title" content="Huge">');
        const chunk = `<meta name="x" content="${"y".repeat(16 * 1024)}">`;
        const pump = () => {
          while (hugeBytes < 50 * 1024 * 1024) {
            hugeBytes += chunk.length;
            if (!res.write(chunk)) {
              res.once("drain", pump);
              return;
            }
          }
          res.end();
        };
        res.on("close", () => res.removeAllListeners("drain"));
        pump();
        return;
      }
      default:
        res.writeHead(404, { "content-type": "text/html" }).end("<title>Not found</title>");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    hits,
    hugeBytesSent: () => hugeBytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
