# Stampede as a container: the production build served as `npm start` serves it (scripts/server.mts).
# Used by docker-compose.yml (three replicas behind nginx); not exercised by the test suite.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so code changes reuse this layer. The postinstall step generates the
# Prisma client, which needs the schema.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    NEXT_TELEMETRY_DISABLED=1
COPY --from=build /app ./
EXPOSE 3000
# Migrations run once per deployment (the `migrate` service in docker-compose.yml, or
# `npm run db:migrate` in a release step), not on every replica's start.
# The heap settings `npm start` uses (package.json config.serverNodeOptions; the README says why).
CMD ["sh", "-c", "exec node $(node -p 'require(\"./package.json\").config.serverNodeOptions') scripts/server.mts -H 0.0.0.0 -p \"$PORT\""]
