/** Where engines and the fan-out report trouble they do not throw (console by default). */
export type TEngineLogger = Pick<Console, "warn" | "error">;
