# syntax=docker/dockerfile:1
# hookgate: signed-webhook gateway that runs an agent CLI.
#   docker build -t hookgate .
#   docker build -t hookgate --build-arg AGENT_PACKAGE=@anthropic-ai/claude-code .
# Run with --init (compose: `init: true`): node as PID 1 does not reap the agents'
# orphaned grandchildren, and the slim image has no tini of its own.
# The config is mounted at /etc/hookgate/hookgate.yaml (read-only). Relative paths in it
# resolve against that directory, so set `state_dir: /var/lib/hookgate` and point
# `agent.cwd` at a writable project directory.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; none needs an install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production

# Optional agent CLI, installed globally so it is on PATH for the hookgate user.
ARG AGENT_PACKAGE=""
RUN if [ -n "$AGENT_PACKAGE" ]; then \
      npm install -g --no-audit --no-fund "$AGENT_PACKAGE" && npm cache clean --force; \
    fi

# Dedicated user; the app stays root-owned so neither it nor the agent can rewrite it.
RUN groupadd --system --gid 10001 hookgate \
 && useradd --system --uid 10001 --gid hookgate --no-create-home \
      --home-dir /var/lib/hookgate --shell /usr/sbin/nologin hookgate \
 && mkdir -p /var/lib/hookgate /etc/hookgate \
 && chown hookgate:hookgate /var/lib/hookgate \
 && chmod 0700 /var/lib/hookgate

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin/ ./bin/
COPY src/ ./src/
COPY openapi/ ./openapi/
COPY deploy/ ./deploy/
# Set here rather than trusted from the build context: a checkout with core.fileMode=false (or made
# on Windows) loses the executable bit, and the container would then fail to start at all.
RUN chmod 0755 /app/deploy/docker-entrypoint.sh

# The only writable places are this volume (state, agent HOME) and /tmp, so the
# container runs with a read-only root filesystem.
# HOME is set only now so the build's npm runs above leave nothing in the volume.
ENV HOME=/var/lib/hookgate
WORKDIR /var/lib/hookgate
VOLUME ["/var/lib/hookgate"]
USER 10001:10001

EXPOSE 8787
# /healthz = process alive. Slim has no curl, so use node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# hookgate drains runs on SIGTERM for `shutdown_grace` seconds (default 10): give the
# container a longer stop timeout (compose stop_grace_period, docker stop -t).
STOPSIGNAL SIGTERM
# Checks the mounted config and the state volume, then execs `node /app/bin/hookgate.js "$@"` (so
# SIGTERM reaches hookgate; `serve` with the gateway's Node flags, src/cli/serve-node-flags.ts); anything that is not a hookgate command runs as given (`docker run -it IMAGE sh`).
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["serve", "--config", "/etc/hookgate/hookgate.yaml", "--host", "0.0.0.0", "--port", "8787"]
