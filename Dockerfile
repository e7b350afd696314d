# The service as one image for every role (ROLE=all|api|worker). Built, not installed at start:
#   docker build -t lesion-retrieval .
# Stage 1 compiles (dev dependencies, node-gyp for hnswlib-node); stage 2 keeps production dependencies only.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# .npmrc: onnxruntime-node-install=skip (the CPU binaries ship in the package; no download at install).
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_PORT=3001 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY web ./web
# A user without a login and without write access to the code; DATA_DIR is its only writable place.
RUN groupadd --system lesions && useradd --system --gid lesions --home-dir /app --shell /usr/sbin/nologin lesions \
 && mkdir -p /data && chown lesions:lesions /data
USER lesions
VOLUME ["/data"]
EXPOSE 3000 3001
# /health/live answers on PORT (all, api) or WORKER_PORT (worker); node's fetch keeps the image free of curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD node -e "const p=process.env.ROLE==='worker'?process.env.WORKER_PORT:process.env.PORT;fetch('http://127.0.0.1:'+p+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
