import { botStreamSuite } from "./bot-stream-suite.ts";

// Two gateways in one process, each with its own RedisEngine on one unique key prefix.
botStreamSuite("redis");
