# coda in a container, for `coda batch --shard` on Kubernetes or any container runner.
#   docker build -t coda .
#   docker run --rm -v "$PWD/library:/data/library:ro" -v "$PWD/delivery:/data/delivery" \
#     coda batch /data/library --purpose library --deliver 48k/24 -o /data/delivery
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# coda is pure Rust (no -sys crates needing system libraries).
COPY . .
RUN cargo build --release --locked --bin coda

FROM debian:bookworm-slim
# The binary needs only glibc and libgcc_s, both in the slim image.
COPY --from=build /src/target/release/coda /usr/local/bin/coda
USER 1000:1000
ENTRYPOINT ["coda"]
