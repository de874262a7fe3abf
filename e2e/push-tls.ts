import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the e2e run keeps the local push service's certificate and key (one per port). */
export function pushTlsDir(port: number = Number(process.env.E2E_PORT ?? 3100)): string {
  return join(tmpdir(), `parley-e2e-push-${port}`);
}
