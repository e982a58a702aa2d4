/** The little a library needs from a logger; Nest's Logger fits. */
export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger = (context: string): Logger => ({
  log: (m) => console.log(`[${context}] ${m}`),
  warn: (m) => console.warn(`[${context}] ${m}`),
  error: (m) => console.error(`[${context}] ${m}`),
});
