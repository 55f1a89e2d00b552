// Writes a model package (platform/model_package.h) from a built program: header, layer table,
// instruction stream, constants and optional test data, with the checksum.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "tools/builder/program.h"

#include <cstdint>
#include <vector>

namespace dlvp::package {

struct TestData {
  std::vector<int8_t> input;     // the network input tensor
  std::vector<int8_t> expected;  // what the network must produce for it
};

// How the input and output are encoded (shapes come from the program's memory plan).
struct TensorFormats {
  int input_frac_bits = 0, output_frac_bits = 0;  // real value = q x 2^-frac
  uint32_t cpu_postprocess = 0;                   // CpuPostprocess
  int32_t input_zero_point = 0;                   // subtracted from the input before quantizing
};

std::vector<uint8_t> write_package(const builder::Program& program, const CnnConfig& hw, const TestData* test = nullptr,
                                   const TensorFormats& formats = {});

}  // namespace dlvp::package
