#!/usr/bin/env bash
# Installs what VAEKit needs on Debian (apt-get, through sudo when not root, skipping packages
# already installed) and builds the release binary .build/release/vaekit.
#
#   launch/setup.sh                   packages + release build
#   launch/setup.sh --no-build        packages only
#   launch/setup.sh --test-tools      also what the tests use: Chromium (the report is rendered
#                                     headless), Pillow (an independent PNG decoder), PyTorch (the
#                                     refit replay), check-jsonschema (the compose file), the
#                                     Python package in .build/python with pandas and pytest
set -euo pipefail
cd "$(dirname "$0")/.."
. launch/env.sh

build=1
test_tools=0
for argument in "$@"; do
    case "$argument" in
        --no-build) build=0 ;;
        --test-tools) test_tools=1 ;;
        *) echo "setup.sh: unknown option $argument (expected --no-build or --test-tools)" >&2; exit 2 ;;
    esac
done

packages=(
    pkg-config libopenblas-dev libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools
    zlib1g-dev libpng-dev dataset-fashion-mnist
    python3-h5py  # the tests read checkpoints with an independent HDF5 reader
    libfreetype-dev  # `vaekit data prepare digits` draws digits from these fonts:
    fonts-dejavu-core fonts-dejavu-extra fonts-breip fonts-dkg-handwriting fonts-femkeklaver
    fonts-humor-sans fonts-comic-neue fonts-dancingscript fonts-urw-base35 fonts-liberation2
    fonts-freefont-ttf
)
# The tests also replay Likelihood Regret's refit in PyTorch (bench/reference/).
# The compose file is checked against the Compose specification's schema (check-jsonschema, from
# PyPI, in a virtual environment under .build/test-tools).
# The Python package (python/) is tested with pytest against Debian's h5py, numpy, pandas, PyYAML.
if [ "$test_tools" = 1 ]; then
    packages+=(chromium python3-pil python3-torch python3-venv python3-pandas python3-yaml python3-pytest
        python3-setuptools python3-wheel)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    # apt's output (hundreds of lines) goes to a log; one line here, the log's end on failure.
    mkdir -p .build
    log=.build/setup-apt.log
    echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]} (log: $log)"
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    if ! { "${sudo[@]}" apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    } >"$log" 2>&1; then
        tail -20 "$log" >&2
        echo "setup: apt-get failed (the whole output is in $log)" >&2
        exit 1
    fi
    echo "setup: installed $(grep -c '^Setting up ' "$log" || true) package(s) with their dependencies"
else
    echo "setup: Debian packages already installed"
fi

if [ "$test_tools" = 1 ] && [ ! -x .build/test-tools/bin/check-jsonschema ]; then
    echo "setup: installing check-jsonschema into .build/test-tools"
    /usr/bin/python3 -m venv .build/test-tools
    .build/test-tools/bin/pip install -q check-jsonschema==0.39.0
fi

# `pip install ./python` into a virtual environment that sees Debian's packages, which provide its
# dependencies (--no-deps: pip does not recognise Debian's h5py and would download another).
if [ "$test_tools" = 1 ]; then
    [ -x .build/python/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .build/python
    .build/python/bin/pip install -q --no-build-isolation --no-deps ./python >.build/python/install.log 2>&1 \
        || { cat .build/python/install.log >&2; exit 1; }
    echo "setup: the vaekit Python package installed into .build/python"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: no Swift toolchain found (expected swift on PATH or in /opt/swift); install Swift 6.x" >&2
    exit 1
fi

if [ "$build" = 1 ]; then
    echo "setup: building vaekit (release)"
    swift build -c release --product vaekit
    # `vaekit` on the PATH: a link to the build, in /usr/local/bin as root, else ~/.local/bin.
    if [ "$(id -u)" = 0 ]; then bin=/usr/local/bin; else bin="$HOME/.local/bin"; fi
    mkdir -p "$bin" && ln -sf "$PWD/.build/release/vaekit" "$bin/vaekit"
    echo "setup: vaekit linked as $bin/vaekit$(case ":$PATH:" in *":$bin:"*) ;; *) echo " (add $bin to PATH)" ;; esac)"
fi
echo "setup: done (OpenBLAS core type: ${OPENBLAS_CORETYPE:-auto})"
