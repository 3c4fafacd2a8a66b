# Sourced by the launch scripts: the environment every VAEKit command runs in.
#
# Debian 12's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not recognise some virtualised Xeons and falls
# back to its "Prescott" SSE3 kernels, about 3× slower on GEMM. When the user has not chosen a
# core type, pick the one the CPU flags support. A value already set is never changed.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
    cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
    case " $cpu_flags " in
        *" avx512f "*" avx512bw "* | *" avx512bw "*" avx512f "*) export OPENBLAS_CORETYPE=SkylakeX ;;
        *" avx2 "*) export OPENBLAS_CORETYPE=Haswell ;;
    esac
    unset cpu_flags
fi

# Swift from the toolchain folder when it is not on PATH yet.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

# Open MPI refuses to run as root unless told; containers and CI run as root.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
