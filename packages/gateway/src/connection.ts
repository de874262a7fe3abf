/** The gateway's record of one socket, shared by its upgrade, write and dispatch code. */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { TBucket } from "./bucket.ts";
import type { TDeliveryLink } from "./delivery.ts";
import type { TConnectionActor } from "./gateway-options.ts";

/** One socket and what the gateway knows about it. */
export type TConnection = TBucket & {
  id: string;
  ws: WebSocket;
  /** The upgraded TCP socket under `ws`: pushes are written to it directly (see push.ts). */
  socket: Duplex;
  /** Its slot on the heartbeat wheel. */
  slot: number;
  actor: TConnectionActor;
  /** Set by any frame or pong; cleared by each sweep. A sweep that finds it clear closes the socket. */
  isAlive: boolean;
  /** When the gateway started closing it; the sweep terminates sockets that take too long. */
  closingSince: number | null;
  /** Timestamps of recent malformed frames (abuse limit); null until the first one. */
  badFrames: number[] | null;
  /** Commands run one after another per connection, so a user's sends keep their order. */
  queue: Promise<void>;
  /** Commands queued or running; bounded so a slow database cannot make the queue grow forever. */
  pending: number;
  /** Resolves once delivery has registered the socket (welcome is sent then). */
  ready: Promise<void>;
  /** The socket as delivery sees it. */
  link: TDeliveryLink;
  /** Commands refused in a row for exceeding the rate. */
  refusedInARow: number;
  /** Queued commands that have not started yet (answered with TOO_MANY_REQUESTS on a 4429); null until the first. */
  waiting: Set<TQueuedCommand> | null;
  /** Set once the connection was found abusing the command rate: it only finishes and closes. */
  isRateLimited: boolean;
};

/** A command waiting in a connection's queue. */
export type TQueuedCommand = { id: string | undefined; isCancelled: boolean };
