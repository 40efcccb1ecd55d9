// The largest context window the daemon accepts anywhere (config.json, setContext, state.json,
// a remote upstream's report): ten million tokens is past every model served today.
export const MAX_CONTEXT_WINDOW = 10_000_000;
