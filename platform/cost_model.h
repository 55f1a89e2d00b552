// The cost of a configuration, known before any simulation: FPGA resources and whether they fit
// the configured device, ASIC area and leakage at the technology table's node (docs/cost.md).
// `dlvp run` prints and reports these figures; `dlvp sweep` records them as columns and checks
// constraints on them before running a point.
#pragma once
#include "platform/platform_config.h"

#include <string>
#include <vector>

namespace dlvp {

struct CostFigure {
  std::string name;  // a dotted column name: "fpga.dsp", "fpga.fits", "asic.area_mm2", ...
  double value = 0;
  std::string unit;  // "" for counts and flags
  std::string description;
};

// Every figure of the cost model for this configuration, in a fixed order.
std::vector<CostFigure> estimate_cost(const PlatformConfig& config);

}  // namespace dlvp
