// Which of a package's recorded hardware parameters differ from the hardware at hand, and what each
// difference means for its program (docs/package.md, "Binding to the hardware"): refuse (it cannot
// run correctly here), suboptimal (it runs correctly, but was tiled/scheduled for other hardware)
// or informational (it does not shape the program). Freestanding (no STL): the driver refuses with
// it, and the platform (platform/package_binding.h) checks every package before a run with it.
#pragma once
#include "platform/model_package.h"

#include <stdint.h>

namespace dlvp::package {

enum BindingClass : uint32_t { kBindInformational = 0, kBindSuboptimal = 1, kBindRefuse = 2 };

const char* to_string(BindingClass binding);

// The hardware at hand in the package's terms. A value 0 in `platform` is unknown: not compared.
struct HardwareAtHand {
  bool has_cnn = false, has_lstm = false;
  HardwareRequirements cnn{};  // isa_version not used (validate_header checks it)
  LstmRequirements lstm{};
  PlatformRequirements platform{};
};

struct ParameterDifference {
  const char* key;                          // the scenario key ("cnn.input_buffer_bytes")
  uint64_t package_value, platform_value;   // in the key's unit times `scale`
  uint32_t scale;                           // 1000 for the clocks (recorded in kHz, keyed in MHz), else 1
  BindingClass binding;
  const char* reason;                       // why this class, one clause
};

// One entry per recorded parameter at most.
constexpr uint32_t kMaxParameters = 16;

struct ParameterList {
  ParameterDifference items[kMaxParameters];
  uint32_t count = 0;
  // The first difference of the class `binding`, or nullptr.
  const ParameterDifference* first(BindingClass binding) const;
};

// Every parameter the package recorded that `hw` can be compared on, with both values and the class
// a difference has. A package that needs an engine `hw` lacks gives lstm.enabled (refuse), or
// nothing for the CNN engine (callers check its presence: it has no scenario key). A value `hw`
// does not know (0 in its `platform`) is left out.
void list_parameters(const PackageHeader& h, const HardwareAtHand& hw, ParameterList* out);
// The same, only the parameters whose values differ.
void compare_hardware(const PackageHeader& h, const HardwareAtHand& hw, ParameterList* out);
// The hardware the package recorded (list_parameters(h, recorded_hardware(h)): every parameter).
HardwareAtHand recorded_hardware(const PackageHeader& h);

// The DDR a package and its job's tensors take: the package plus its input, output and scratch
// windows (each at most kMaxWindowBytes: no overflow).
uint64_t ddr_bytes_needed(const PackageHeader& h);

}  // namespace dlvp::package
