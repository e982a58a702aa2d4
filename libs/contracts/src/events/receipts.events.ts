/** The events the receipts service publishes on `im.events.receipts.*`. */
export const RECEIPTS_EVENTS = {} as const;
