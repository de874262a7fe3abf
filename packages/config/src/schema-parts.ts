/** Building blocks of the settings schema shared by its files (index.ts, sso-settings.ts). */
import { z } from "zod";

/** A boolean setting: true/false, 1/0, yes/no. */
export const ZBool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** A URL setting with one of `protocols`. */
export const ZUrl = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(" or ")}`,
    });
