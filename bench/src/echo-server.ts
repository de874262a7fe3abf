/**
 * Baseline for bench.ts: a bare `ws` server that echoes every text frame back, run as its own
 * process like the gateway. Its round trip is the floor any gateway figure should be read against
 * (same box, same cores, same generator). Prints `listening <port>` once ready.
 */
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on("listening", () => {
  const address = wss.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : address}`);
});
process.on("SIGTERM", () => process.exit(0));
// Never outlive the bench that started us.
process.on("disconnect", () => process.exit(0));
setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 1000).unref();
