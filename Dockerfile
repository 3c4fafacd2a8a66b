# The VAEKit cluster image: the vaekit binary, Open MPI, sshd, Fashion-MNIST. Used by
# docker-compose.yml (a head and N workers); build with `docker compose build`.
# No SSH key is baked in: the compose file's `keys` service makes one pair per cluster, at start.

FROM swift:6.1-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        pkg-config libopenblas-dev libopenmpi-dev libhdf5-dev zlib1g-dev libpng-dev libfreetype-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --product vaekit --static-swift-stdlib

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openmpi-bin libopenblas0-pthread libhdf5-103-1 zlib1g libpng16-16 libfreetype6 \
        openssh-server openssh-client dataset-fashion-mnist ca-certificates \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd
COPY --from=build /src/.build/release/vaekit /usr/local/bin/vaekit
COPY configs /opt/vaekit/configs
COPY launch/cluster/entrypoint.sh /usr/local/bin/vaekit-node
COPY launch/cluster/launch-job.sh /usr/local/bin/launch-job
# Open MPI as root, no CMA single-copy between containers (ptrace is not allowed there), TCP on
# the compose network, and a dead host noticed in about 10 s (as launch/run.sh does).
ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_btl="self,vader,tcp" \
    OMPI_MCA_btl_tcp_if_include=eth0 OMPI_MCA_oob_tcp_if_include=eth0 \
    OMPI_MCA_oob_tcp_keepalive_time=5 OMPI_MCA_oob_tcp_keepalive_intvl=1 OMPI_MCA_oob_tcp_keepalive_probes=5
WORKDIR /shared
ENTRYPOINT ["/usr/local/bin/vaekit-node"]
CMD ["/usr/sbin/sshd", "-D", "-e"]
