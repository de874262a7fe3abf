/**
 * The gateway processes under test: G children of apps/realtime/src/main.ts on one database,
 * on a private redis-server (or `--redis-url`) for the redis engine; stopped on cleanup.
 */
import { randomBytes } from "node:crypto";
import { exited, sleep, startGateway, startRedis, type TGatewayProcess } from "./harness.ts";
import { onCleanup } from "./run.ts";

export type TFleet = {
  gateways: TGatewayProcess[];
  pids: (number | undefined)[];
  redisUrl: string | undefined;
  authSecret: string;
};

export async function startFleet(options: {
  count: number;
  engine: "memory" | "redis";
  databaseUrl: string;
  redisUrl?: string | undefined;
  log: (line: string) => void;
}): Promise<TFleet> {
  let redisUrl: string | undefined;
  if (options.engine === "redis") {
    redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis = await startRedis();
      redisUrl = redis.url;
      options.log(`redis: private redis-server on ${redis.port}`);
    }
  }
  const authSecret = randomBytes(32).toString("base64url");
  const gateways = await Promise.all(
    Array.from({ length: options.count }, (_, g) =>
      startGateway({
        databaseUrl: options.databaseUrl,
        authSecret,
        label: `gateway${g}`,
        ...(redisUrl ? { redisUrl } : {}),
      }),
    ),
  );
  onCleanup(async () => {
    for (const g of gateways) g.child.kill("SIGTERM");
    await Promise.race([Promise.all(gateways.map((g) => exited(g.child))), sleep(5000)]);
  });
  return { gateways, pids: gateways.map((g) => g.child.pid), redisUrl, authSecret };
}
