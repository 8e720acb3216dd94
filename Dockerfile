# siptap in a container: built and installed on Debian 12, the default
# command runs the installed suite against the reference UAS.
#
#   docker build -t siptap .
#   docker run --rm siptap                          # the whole suite
#   docker run --rm -v "$PWD/reports:/reports" siptap run --report-dir /reports
#
# (Not built in the project's CI: that has no container registry.)
FROM debian:12 AS build
COPY . /src
WORKDIR /src
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libre-dev libssl-dev liblua5.4-dev \
      libpcap-dev libgoogle-perftools-dev \
 && cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/install cmake --install /build --prefix /usr/local

FROM debian:12
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libre0 liblua5.4-0 libpcap0.8 libssl3 libtcmalloc-minimal4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /install/usr/local /usr/local
WORKDIR /work
ENTRYPOINT ["siptap"]
CMD ["run"]
