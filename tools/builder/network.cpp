#include "tools/builder/network.h"

namespace dlvp::builder {

uint32_t sweep_length(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t window, uint32_t stride) {
  const uint64_t padded = uint64_t{in} + pad_before + pad_after;
  if (window == 0 || stride == 0 || padded < window) return 0;
  return static_cast<uint32_t>((padded - window) / stride + 1);
}

const std::string& layer_name(const Layer& layer) {
  return std::visit([](const auto& l) -> const std::string& { return l.name; }, layer);
}

const char* layer_kind_name(const Layer& layer) {
  static const char* const kNames[] = {"conv", "fc", "pool", "eltwise", "concat", "view", "copy"};
  return kNames[layer.index()];
}

}  // namespace dlvp::builder
