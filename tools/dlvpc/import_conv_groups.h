// ONNX Conv `group` (DW): grouped and depthwise convolutions run on the CNN engine as CONV with
// groups (ISA version 3, docs/isa.md); this checks the attribute against the shapes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// Empty when `group` divides the input's channels and the weight's M output channels and the
// weight [M, C/group, kH, kW] has C/group input channels; else why not.
std::string conv_group_problem(int64_t group, const std::vector<int64_t>& weight_dims, uint32_t in_c);

}  // namespace dlvp::dlvpc
