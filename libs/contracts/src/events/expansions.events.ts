/** The events the expansions service publishes on `im.events.expansions.*`. */
export const EXPANSIONS_EVENTS = {} as const;
