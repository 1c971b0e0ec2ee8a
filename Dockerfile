# gantry: one image for every role (`gantry web`, `gantry worker`, `gantry start`).
#
#   docker build -t gantry .
#   docker run --rm -it gantry                       # local mode: a shell on the demo config
#   docker compose up -d                             # web + worker + Redis (compose.yaml)
#
# BASE_IMAGE must be a Debian bookworm image with node and npm on PATH, like the official one;
# scripts/base-image.sh makes such an image from Debian's and npm's packages where nothing can
# be pulled (the tests build this same file with it).
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
# the lockfile alone first: the dependency layer stays cached until the lockfile changes
COPY package.json package-lock.json ./
# npm 11 runs no install scripts unless approved; gantry relies on the JS fallbacks of its
# optional native modules, so none are needed (and no compiler is)
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Dependencies' own test directories go: some ship private keys as fixtures (ssh2's test/fixtures),
# which secret scanners rightly flag in an image, and nothing loads them at run time.
# src/ only: bench/ and scripts/ (which `npm run build` also compiles) are development tools that
# import the tests' helpers
RUN echo '{ "extends": "./tsconfig.build.json", "include": ["src"] }' >tsconfig.image.json \
 && npx tsc -p tsconfig.image.json \
 && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force \
 && find node_modules -type d \( -name test -o -name tests -o -name __tests__ \) \
      -exec test -f '{}/../package.json' ';' -prune -exec rm -rf '{}' +

FROM ${BASE_IMAGE}
ARG VERSION=0.0.0-dev
# where the source lives (app.yml names the same URL)
ARG SOURCE_URL=https://github.com/acme/gantry
LABEL org.opencontainers.image.title="gantry" \
      org.opencontainers.image.description="GitOps chat-ops bot: builds images, gates promotions with approvals in chat, writes them to a deploy repo" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
# git for the deploy repo (openssh-client for ssh remotes and SSH commit signing, ca-certificates for
# https ones; gpg and gpg-agent for OpenPGP commit signing, GANTRY_SIGNING_KEY), tini
# as PID 1 (forwards signals for the graceful shutdown, reaps git's children), redis-server only
# for local mode (`docker run -it gantry` starts a private one; compose and Kubernetes set REDIS_URL)
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git ca-certificates openssh-client gpg gpg-agent tini redis-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log \
 && groupadd --gid 10001 gantry \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/gantry --no-create-home --shell /usr/sbin/nologin gantry \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/gantry
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json app.yml ./
COPY config ./config
COPY assets ./assets
# `gantry` on PATH for `docker exec … gantry shell`. The demo config names its deploy repo and
# warm clone relative to the working directory (.gantry/…): keep them in the state volume, not in /app
RUN chmod 0755 dist/src/main.js \
 && ln -s /app/dist/src/main.js /usr/local/bin/gantry \
 && ln -s /var/lib/gantry /app/.gantry
ENV NODE_ENV=production \
    GANTRY_HOST=0.0.0.0 \
    PORT=3000 \
    GANTRY_STATE_DIR=/var/lib/gantry
VOLUME ["/var/lib/gantry"]
EXPOSE 3000
USER 10001:10001
# node, since the image has no curl; /healthz answers while the process runs (readiness is /readyz)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "/app/dist/src/main.js"]
CMD ["start"]
