// An FPGA's programmable-logic capacity (scenarios/devices/*.yaml, docs/cost.md): what the cost
// model's resources are checked against.
#pragma once
#include <cstdint>
#include <string>

namespace dlvp {

struct FpgaDevice {
  std::string name, family, source, path;
  uint64_t luts = 0, flip_flops = 0, bram36 = 0, dsp_slices = 0;
  uint32_t dsp_a_bits = 0, dsp_b_bits = 0;  // the DSP slice's signed multiplier, A x B

  // Throws ConfigError naming the file and the key on any problem.
  static FpgaDevice load(const std::string& path);
};

}  // namespace dlvp
