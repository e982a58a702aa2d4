# One image for all five apps, built once: compose runs it five times with different commands
# (`node dist/apps/<app>/src/main.js`). Node 24 is the Active LTS line.
#
# The sources are compiled to dist/ by tools/build.js (swc, as the tests and tools/register.js
# compile them), so nothing compiles TypeScript at start and the runtime needs neither swc's
# register hook nor typescript (a dev dependency): only production dependencies are installed.

# Production dependencies, shared by the build (swc is one of them) and the runtime.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM deps AS build
COPY . .
RUN node tools/build.js

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    APP=gateway \
    METRICS_PORT=9464
WORKDIR /app
# Owned by root and read-only to the app's user: the process cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000 9464

# Ready means Postgres, NATS, the relay and the consumers (a service) or every service (the gateway).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 CMD ["node", "dist/tools/probe.js"]

# exec: node becomes PID 1 (compose adds an init) and receives SIGTERM directly; the apps shut down gracefully on it.
CMD ["sh", "-c", "exec node \"dist/apps/${APP}/src/main.js\""]
