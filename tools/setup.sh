#!/usr/bin/env bash
# Installs every Debian package dlvp needs (Debian 12). Idempotent: installs only what is missing.
# Recommended packages are not installed, so whatever a package only recommends but the build needs
# is listed here by name; tools/fresh_check.sh proves the list on a clean Debian 12 root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libsystemc-dev          # SystemC 2.3.4 with TLM-2.0 (built as C++17)
  libyaml-cpp-dev         # scenarios, presets, technology tables
  nlohmann-json3-dev      # report.json
  libsqlite3-dev          # dlvp sweep's results database
  libgtest-dev libgmock-dev  # tests
  libgoogle-perftools-dev google-perftools  # profiling the simulator (libprofiler, google-pprof)
  libdnnl-dev             # oneDNN: the speed yardstick of the CNN benchmark, dlvpc's float pass
  ocl-icd-opencl-dev      # oneDNN's dnnl-config.cmake requires OpenCL; libdnnl-dev only recommends it
  libonnx-dev libprotobuf-dev  # dlvpc reads ONNX models through libonnx's protobuf classes
  libssl-dev              # libcrypto's SHA-256: the keys of dlvpc's calibration cache
  libonnx-testdata        # ONNX backend node tests: the conformance suite of dlvpc
  dataset-fashion-mnist   # the classifier demo's data set
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf  # RISC-V build of sw/ (rv32imac, ilp32)
  qemu-system-misc        # qemu-system-riscv32: the speed yardstick of the ISS benchmark
  gdb-multiarch           # the scripted gdb session against the ISS's GDB server
  libxml2-utils           # xmllint: the CMSIS-SVD description checked against its schema
  # The single-node Slurm of the Slurm executor's test (tools/slurm/local_cluster.sh): daemons,
  # client commands and the plugins it configures all come by Depends (slurm-wlm-plugins, only
  # recommended, holds none of them).
  slurm-wlm munge
  # The HTML pages (tools/report_web): npm installs the charting library the build inlines and the
  # browser driver of their test; chromium loads the pages in that test.
  nodejs chromium
)
# Debian's nodejs comes without npm; NodeSource's nodejs bundles it (and conflicts with Debian's npm).
command -v npm >/dev/null || packages+=(npm)

# --fuzz: also clang and its libFuzzer/sanitizer runtimes, for the `fuzz` preset's long runs.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The npm packages at the exact versions of package-lock.json (no install scripts: none is needed,
# and playwright-core's would not download a browser anyway; chromium comes from Debian).
web="$(dirname "$0")/report_web"
if ! (cd "$web" && npm ls --omit=optional >/dev/null 2>&1); then
  echo "setup: npm ci in $web"
  (cd "$web" && npm ci --ignore-scripts --no-audit --no-fund)
fi
