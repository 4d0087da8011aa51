# syntax=docker/dockerfile:1
#
# One image for the gateway and the four subgraphs; docker-compose.yml picks the
# entry point per service with `command:`. The default CMD runs the gateway.
#
#   docker build -t referral-gateway .
#   docker run ... referral-gateway node dist/subgraphs/links/src/index.js

# ---- build: install everything, compile TypeScript, drop dev dependencies ----------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY scripts ./scripts
COPY schema ./schema
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime: compiled code, production dependencies, the supergraph schema -------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production

COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schema ./schema
COPY --from=build /app/package.json ./package.json

# DATA_DIR (./data) is only used without DATABASE_URL (SQLite); make it writable anyway.
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 4000 4001 4002 4003 4004
CMD ["node", "dist/gateway/src/index.js"]
