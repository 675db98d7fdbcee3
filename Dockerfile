# Wick in a container: `docker build -t ghcr.io/example/wick:latest .` (docs/deploy.md).
#
# Stage 1 builds the release binary with the Swift runtime and Foundation linked in
# (--static-swift-stdlib, as `make release` does), so the runtime stage needs no toolchain: only
# the C libraries the binary links (libcurl, libcrypto, SQLite) and CA certificates for the exchanges' TLS.
ARG SWIFT_VERSION=6.3
FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update \
 && apt-get -q install -y --no-install-recommends libsqlite3-dev libcurl4-openssl-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest names the test and benchmark targets too, so their folders come along.
# Package.resolved pins the dependencies' versions when the checkout has one.
COPY Package.swift Package.resolve[d] ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
RUN swift build -c release --static-swift-stdlib --product wick \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/wick" /out/wick

# Stage 2: a slim Debian with the binary, the shipped strategies and plugins, and a non-root user.
FROM debian:bookworm-slim
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update \
 && apt-get -q install -y --no-install-recommends ca-certificates libcurl4 libssl3 libsqlite3-0 libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 wick \
 && useradd --system --uid 10001 --gid wick --home-dir /data --shell /usr/sbin/nologin wick \
 && install -d -o wick -g wick -m 0700 /data
COPY --from=build /out/wick /usr/local/bin/wick
# /app holds what a [[run]] entry or a Kubernetes Job names by a relative path (strategies/…);
# plugins/ beside strategies/ is where `require` looks.
COPY strategies /app/strategies
COPY plugins /app/plugins
COPY config /app/config
COPY examples /app/examples
LABEL org.opencontainers.image.title="wick" \
      org.opencontainers.image.description="Backtest, paper-trade and live-trade sandboxed Lua strategies on crypto candles"
# The bot folder: wick.toml, params files, and the candle cache and ledger (wick.sqlite).
VOLUME /data
WORKDIR /data
USER wick
ENTRYPOINT ["/usr/local/bin/wick"]
CMD ["--help"]
