// The activation unit (docs/isa.md "Version 3: activations and Mul").
#include "ip/cnn/activation_unit.h"

#include "ip/common/range_check.h"

#include <algorithm>

namespace dlvp::cnn {

namespace {
template <typename T>
ActivationFields fields_of(const T& i) {
  ActivationFields a;
  a.flags = i.header.flags;
  a.clip_min = i.clip_min;
  a.clip_max = i.clip_max;
  a.table_offset = i.table_offset;
  return a;
}
}  // namespace

ActivationFields activation_fields(const isa::Conv& c) { return fields_of(c); }
ActivationFields activation_fields(const isa::Fc& f) { return fields_of(f); }
ActivationFields activation_fields(const isa::Eltwise& e) { return fields_of(e); }

isa::ErrorCode check_activation(const ActivationFields& a, uint64_t weight_bytes) {
  if (a.clip() && a.clip_min > a.clip_max) return isa::kErrBadField;
  if (a.table() && !range_within(a.table_offset, kActivationTableBytes, 0, weight_bytes))
    return isa::kErrBufferOverrun;
  return isa::kErrNone;
}

ActivationUnit::ActivationUnit(const ActivationFields& a, const uint8_t* weights) : active_(a.active()) {
  if (!active_) return;
  const auto* table = reinterpret_cast<const int8_t*>(weights + a.table_offset);
  for (int v = -128; v <= 127; ++v) {
    int y = a.clip() ? std::clamp<int>(v, a.clip_min, a.clip_max) : v;
    if (a.table()) y = table[y + 128];
    lut_[static_cast<size_t>(v + 128)] = static_cast<int8_t>(y);
  }
}

void ActivationUnit::apply(int8_t* y, uint64_t n) const {
  if (!active_) return;
  for (uint64_t i = 0; i < n; ++i) y[i] = (*this)(y[i]);
}

}  // namespace dlvp::cnn
