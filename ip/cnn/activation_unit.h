// The output-stage activation unit of CONV, FC and ELTWISE (ISA version 3, docs/isa.md "Version 3:
// activations and Mul"): after sat8 and ReLU, kFlagClip clamps to [clip_min, clip_max], then
// kFlagTable maps y to table[y + 128] (int8 [256] in the weight buffer). Both are functions of one
// int8 value, so the unit is applied as one composed 256-entry lookup.
#pragma once
#include "ip/ifu/isa.h"

#include <array>
#include <cstdint>

namespace dlvp::cnn {

using isa::kActivationTableBytes;

// The activation fields of one instruction.
struct ActivationFields {
  uint16_t flags = 0;
  int8_t clip_min = 0, clip_max = 0;
  uint32_t table_offset = 0;

  bool clip() const { return flags & isa::kFlagClip; }
  bool table() const { return flags & isa::kFlagTable; }
  bool active() const { return clip() || table(); }
};
ActivationFields activation_fields(const isa::Conv& c);
ActivationFields activation_fields(const isa::Fc& f);
ActivationFields activation_fields(const isa::Eltwise& e);

// kErrBadField when clip_min > clip_max (with kFlagClip); kErrBufferOverrun when the table (with
// kFlagTable) does not fit in the weight buffer of `weight_bytes`.
isa::ErrorCode check_activation(const ActivationFields& a, uint64_t weight_bytes);

class ActivationUnit {
 public:
  // `weights` is the weight buffer (read only with kFlagTable; the fields were checked).
  ActivationUnit(const ActivationFields& a, const uint8_t* weights);
  bool active() const { return active_; }
  int8_t operator()(int8_t y) const { return lut_[static_cast<uint8_t>(y ^ 0x80)]; }
  void apply(int8_t* y, uint64_t n) const;  // in place; nothing when inactive

 private:
  bool active_ = false;
  std::array<int8_t, kActivationTableBytes> lut_{};  // composed clip and table, indexed by y + 128
};

}  // namespace dlvp::cnn
