/**
 * Ids on the wire and in every API: UUIDs (v7 from the server), accepted in any letter case and
 * handed on in ONE spelling, lower case — the one Postgres prints. Postgres compares uuids
 * case-insensitively, but everything keyed by the id as a string does not: the fan-out's member
 * cache and reorder stage, the gateway's routes and membership sets, the clients' stores. A send
 * to "01A2…" was stored in conversation "01a2…" yet published under the upper-case spelling, so
 * the other members' sockets never got it live (found by the frame fuzzer). Every id schema is
 * this one.
 */
import { z } from "zod";
import { errorTemplate } from "./error-template.ts";

/** A UUID in any case, parsed to lower case. */
export const zId = () => z.uuid({ message: errorTemplate("must be a UUID") }).toLowerCase();
