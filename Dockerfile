# runclub-bot: multi-stage build, small non-root runtime image.
#   docker build -t runclub-bot .
#   docker run -d --name runclub-bot -e DISCORD_TOKEN=... -v runclub-data:/data runclub-bot
# Reload the knowledge without a restart: docker kill --signal=HUP runclub-bot

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so that editing the bot's code or knowledge doesn't rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && echo 'fn main() {}' > benches/engine.rs && echo 'fn main() {}' > benches/transport.rs \
 && echo 'fn main() {}' > benches/storm.rs \
 && cargo build --release --locked \
 && rm -rf src benches
COPY src src
COPY benches benches
COPY knowledge knowledge
COPY config config
COPY models models
ENV CARGO_PROFILE_RELEASE_LTO=thin
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin runclub-bot \
 && ./target/release/runclub-bot check --knowledge knowledge \
 && mkdir /data-empty

FROM debian:bookworm-slim
# rustls with bundled roots: no OpenSSL or CA package needed.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin runclub
COPY --from=build /src/target/release/runclub-bot /usr/local/bin/runclub-bot
COPY --chown=root:root knowledge /app/knowledge
COPY --chown=root:root config /app/config
COPY --chown=root:root models /app/models
COPY --from=build --chown=runclub:runclub /data-empty /data
WORKDIR /app
ENV RUNCLUB_CONFIG=/app/config/runclub-bot.toml \
    RUNCLUB_KNOWLEDGE_DIR=/app/knowledge \
    RUNCLUB_MODEL_DIR=/app/models/runclub-minilm \
    RUNCLUB_DATA_DIR=/data \
    RUST_LOG=runclub_bot=info,warn
VOLUME ["/data"]
USER runclub
STOPSIGNAL SIGTERM
# The first start embeds the knowledge's examples (about 10 s on 2 cores) into /data/cache.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["runclub-bot", "health"]
ENTRYPOINT ["runclub-bot"]
CMD ["run"]
