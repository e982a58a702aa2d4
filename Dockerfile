# One image for every app: the TypeScript sources run directly through swc-node
# (tools/register.js), so there is no build step. Pick the app with APP (default gateway)
# or override the command, e.g. ["node","-r","./tools/register.js","apps/messaging/src/main.ts"].
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NX_DAEMON=false \
    NX_NO_CLOUD=true \
    APP=gateway

WORKDIR /app

# Dependencies first so the layer is cached until the lockfile changes. Dev dependencies are
# kept: @swc-node/register reads tsconfig.json through typescript at run time. Its transform
# cache goes to os.tmpdir(), which the unprivileged user can write.
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force

# The sources (see .dockerignore); node_modules from the host is never copied over.
COPY . .

USER node
EXPOSE 3000

# exec: node becomes PID 1 and receives SIGTERM directly (the apps shut down gracefully on it).
CMD ["sh", "-c", "exec node -r ./tools/register.js \"apps/${APP}/src/main.ts\""]
