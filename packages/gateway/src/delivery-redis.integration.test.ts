import { deliverySuite } from "./delivery-suite.ts";

// Two gateways in one process, each with its own RedisEngine on one unique key prefix.
deliverySuite("redis");
