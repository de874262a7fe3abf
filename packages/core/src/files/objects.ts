/**
 * Removing attachment objects, shared by refused uploads (files.ts), the sweeper and message
 * deletion. Callers mark the rows `deleted` (or delete them) BEFORE removing objects.
 */
import { ObjectNotFoundError, type TStorage } from "@parley/storage";
import { processLogger } from "../logging.ts";

/** The key of an object's thumbnail (derived, so cleanup can find it even when unrecorded). */
export const thumbnailKeyFor = (objectKey: string) => `${objectKey}.thumb.webp`;

/** Best effort: a failure is logged and left for an operator (the row is already gone or `deleted`). */
export async function deleteObjects(storage: TStorage, keys: readonly (string | null)[]): Promise<boolean> {
  let isOk = true;
  for (const key of keys) {
    if (!key) continue;
    try {
      await storage.deleteObject(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) continue;
      isOk = false;
      processLogger().error({ err, key }, "deleting an object failed");
    }
  }
  return isOk;
}
