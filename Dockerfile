# runclub-bot: multi-stage build, small non-root runtime image.
#   docker build -t runclub-bot .
#   docker run -d --name runclub-bot --restart on-failure:5 \
#     -e DISCORD_TOKEN=... -v runclub-data:/data runclub-bot
# on-failure:5, not unless-stopped: a bad token or knowledge file exits with 78 and would
# otherwise restart forever. /data must be writable by uid 10001 (a named volume is).
# Reload the knowledge without a restart: docker kill --signal=HUP runclub-bot

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# The release profile is set before anything is built: the dependency layer below is then
# reused by every later build, which compiles only the bot.
ENV CARGO_PROFILE_RELEASE_LTO=thin
# Dependencies first, so that editing the bot's code or knowledge doesn't rebuild them. Cargo
# wants every target the manifest names to exist: placeholders for each [[bench]], read from
# Cargo.toml, so that adding a bench needs no edit here.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && for b in $(sed -n '/^\[\[bench\]\]/,/^$/s/^name *= *"\(.*\)"/\1/p' Cargo.toml); do \
      echo 'fn main() {}' > "benches/$b.rs"; done \
 && cargo build --release --locked --bin runclub-bot \
 && rm -rf src benches
COPY src src
COPY benches benches
COPY knowledge knowledge
COPY config config
COPY models models
# The seed cache: every example embedded now, so that a fresh container answers within
# seconds instead of embedding them all at its first start.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin runclub-bot \
 && ./target/release/runclub-bot check --knowledge knowledge --seed-cache /seed-cache \
 && mkdir /data-empty

FROM debian:bookworm-slim
# rustls with bundled roots: no OpenSSL or CA package needed.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin runclub
COPY --from=build /src/target/release/runclub-bot /usr/local/bin/runclub-bot
COPY --chown=root:root knowledge /app/knowledge
COPY --chown=root:root config /app/config
COPY --chown=root:root models /app/models
COPY --from=build --chown=root:root /seed-cache /app/seed-cache
COPY --from=build --chown=runclub:runclub /data-empty /data
WORKDIR /app
ENV RUNCLUB_CONFIG=/app/config/runclub-bot.toml \
    RUNCLUB_KNOWLEDGE_DIR=/app/knowledge \
    RUNCLUB_MODEL_DIR=/app/models/runclub-minilm \
    RUNCLUB_DATA_DIR=/data \
    RUNCLUB_SEED_CACHE_DIR=/app/seed-cache \
    RUST_LOG=runclub_bot=info,warn
VOLUME ["/data"]
USER runclub
STOPSIGNAL SIGTERM
# The examples' embeddings come from the seed cache: the first start takes a few seconds.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["runclub-bot", "health"]
ENTRYPOINT ["runclub-bot"]
CMD ["run"]
