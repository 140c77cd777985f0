/** Structured logs: one JSON line per event, to stdout. The level comes from LOG_LEVEL via the config. */
import pino from "pino";

export const logger = pino({ base: { service: "stampede" }, level: "info" });
