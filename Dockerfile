# gatehouse: build the TypeScript once, run the compiled JavaScript on Node 22 LTS
# (Node 20 reached its end of life on 2026-04-30; the tests still run on 20 and 22).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The workspaces (packages/*) are part of the lockfile: npm ci links them.
COPY packages ./packages
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 GATEHOUSE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
# Templates are read at run time (GET /v1/templates, PUT policy?template=), from src/templates.
COPY src/templates ./src/templates
# The admin console's static files (/console/), read at start-up.
COPY console ./console
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
CMD ["node", "dist/src/main.js"]
