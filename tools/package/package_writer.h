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

std::vector<uint8_t> write_package(const builder::Program& program, const CnnConfig& hw, const TestData* test = nullptr);

}  // namespace dlvp::package
