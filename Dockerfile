# Multi-stage build: compile with the official Swift image, run on a slim Ubuntu with only the
# service binaries (the Swift runtime is linked statically).
FROM swift:6.3-noble AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib \
      --product order-gateway --product order-processor --product order-notifier \
      --product order-dashboard --product order-pipeline \
 && mkdir -p /out \
 && cp "$(swift build -c release --show-bin-path)"/order-* /out/

FROM ubuntu:noble
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin pipeline
COPY --from=build /out/ /usr/local/bin/
USER pipeline
ENV HOST=0.0.0.0
CMD ["order-pipeline"]
