// Writes the package fuzz target's hand-built seed: a package with CPU stages (version 7; tests/
// support/staged_package.h: a conv of 4 channels on 4 x 4, a channel shuffle, a softmax), so that
// mutations reach the stage checks and the CPU operations. Run at build time. With CHANNELS and
// SIZE it writes that shape instead (the CPU stages' measurements in docs/cpu_ops.md).
// Usage: fuzz_package_seeds FILE [CHANNELS SIZE]
#include "tests/support/package_edit.h"
#include "tests/support/staged_package.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: fuzz_package_seeds FILE [CHANNELS SIZE]\n");
    return 2;
  }
  const long channels = argc == 4 ? std::strtol(argv[2], nullptr, 10) : 4;
  const long size = argc == 4 ? std::strtol(argv[3], nullptr, 10) : 4;
  if (channels < 2 || channels > 1024 || channels % 2 || size < 1 || size > 256) {
    std::fprintf(stderr, "fuzz_package_seeds: CHANNELS must be even, 2..1024, SIZE 1..256\n");
    return 2;
  }
  dlvp::test::write_bytes(argv[1], dlvp::test::staged_package(static_cast<uint32_t>(channels),
                                                              static_cast<uint32_t>(size)));
  return 0;
}
