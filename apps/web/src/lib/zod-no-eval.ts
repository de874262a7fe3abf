/**
 * zod compiles a fast path for object schemas with `new Function` after probing whether eval is
 * allowed. Under the page's Content-Security-Policy (no 'unsafe-eval') the probe itself is a CSP
 * violation and the fast path is never available, so in the browser zod is told not to try. The
 * server (no CSP) keeps its fast path. Imported first by the root client provider (trpc/react.tsx).
 */
import { z } from "zod";

if (typeof window !== "undefined") z.config({ jitless: true });
