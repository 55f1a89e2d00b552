#include "tools/dlvpc/import_conv_groups.h"

#include "tools/dlvpc/onnx_import.h"

namespace dlvp::dlvpc {

std::string conv_group_problem(int64_t group, const std::vector<int64_t>& weight_dims, uint32_t in_c) {
  if (group < 1 || group > in_c || in_c % group != 0)
    return "group " + std::to_string(group) + " does not divide the input's " + std::to_string(in_c) + " channels";
  if (weight_dims[0] % group != 0)
    return "group " + std::to_string(group) + " does not divide the weight's " + std::to_string(weight_dims[0]) +
           " output channels";
  if (weight_dims[1] * group != in_c)
    return "weight " + dims_text(weight_dims) + " expects " + std::to_string(weight_dims[1]) + " x group " +
           std::to_string(group) + " input channels, the input has " + std::to_string(in_c);
  return {};
}

}  // namespace dlvp::dlvpc
