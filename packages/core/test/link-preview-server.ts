/**
 * A local HTTP server for link preview tests: pages with metadata, a slow page, a huge page,
 * images (a real 1200×630 PNG, and ones that must be refused: SVG, an SVG claiming to be a PNG,
 * text, oversized — declared or streamed), redirects (to itself and to a private address), and a
 * count of requests per path. `/page-image?img=<path>` is the page with that og:image.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

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
/** The SVG served as /cover.svg and, lying about its type, as /fake.png. */
export const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"><rect width="1200" height="630" fill="red"/></svg>`;
/** Bytes of /big.png and /big-stream.png: over the 5 MiB image limit. */
export const BIG_IMAGE_BYTES = 6 * 1024 * 1024;

export async function startPreviewServer(privateTarget = "http://10.0.0.1/"): Promise<TPreviewServer> {
  const hits = new Map<string, number>();
  let hugeBytes = 0;
  const cover = await sharp({
    create: { width: 1200, height: 630, channels: 3, background: { r: 30, g: 120, b: 200 } },
  })
    .png()
    .withMetadata({ exif: { IFD0: { Copyright: "secret-exif-marker" } } })
    .toBuffer();
  const server = http.createServer((req, res) => {
    const requestUrl = new URL(req.url ?? "/", "http://x");
    const path = requestUrl.pathname;
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
      case "/page-image": {
        const img = requestUrl.searchParams.get("img") ?? "/cover.png";
        const html = PAGE_HTML.replace('content="/cover.png"', `content="${img.replace(/"/g, "")}"`);
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
        return;
      }
      case "/cover.png":
        res.writeHead(200, { "content-type": "image/png", "content-length": cover.length }).end(cover);
        return;
      case "/cover.svg":
        res.writeHead(200, { "content-type": "image/svg+xml" }).end(SVG);
        return;
      case "/fake.png":
        res.writeHead(200, { "content-type": "image/png" }).end(SVG);
        return;
      case "/cover.txt":
        res.writeHead(200, { "content-type": "text/plain" }).end("not an image");
        return;
      case "/big.png":
        res
          .writeHead(200, { "content-type": "image/png", "content-length": BIG_IMAGE_BYTES })
          .end(Buffer.alloc(BIG_IMAGE_BYTES));
        return;
      case "/big-stream.png":
        // No Content-Length: the limit must cut it while streaming.
        res.writeHead(200, { "content-type": "image/png", "transfer-encoding": "chunked" });
        res.end(Buffer.concat([cover, Buffer.alloc(BIG_IMAGE_BYTES)]));
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
