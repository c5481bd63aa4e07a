# wxgate in a container: a release build in the Rust image, then the one binary in a small
# Debian image, run as an unprivileged user with its data in the volume /data.
#
#   docker build -t wxgate .
#   docker run -d -p 8080:8080 -v wxgate-data:/data -e WXGATE_TOKEN=YourConsoleToken wxgate
#
# Defaults: listen 0.0.0.0:8080 (WXGATE_LISTEN) and SQLite at /data/wxgate.db
# (WXGATE_DATABASE_URL). A wxgate.toml in /data is read, but these variables beat the file:
# set them with -e to change them (e.g. WXGATE_DATABASE_URL=postgres://...). The built-in
# Token is refused on a non-loopback address: give yours with WXGATE_TOKEN or in the file.

# The current stable Rust (the workspace needs 1.85 or newer), on the same Debian as the
# runtime image below, so the binary finds the glibc it was linked against.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p wxgate \
 && install -m 0755 target/release/wxgate /usr/local/bin/wxgate

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin wxgate \
 && install -d -m 0700 -o wxgate -g wxgate /data
COPY --from=build /usr/local/bin/wxgate /usr/local/bin/wxgate
ENV WXGATE_LISTEN=0.0.0.0:8080 \
    WXGATE_DATABASE_URL=sqlite:///data/wxgate.db
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
USER wxgate
ENTRYPOINT ["/usr/local/bin/wxgate"]
CMD ["serve"]
