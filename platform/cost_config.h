// Parameters of the cost model (scenario section `cost`, docs/cost.md): the FPGA device the
// resources are checked against and the choices the model cannot read from the hardware's
// structure.
#pragma once
#include "ip/common/params.h"

#include <cstdint>
#include <string>

namespace dlvp {

struct CostConfig {
  std::string fpga_device = "xc7z020";  // a name in scenarios/devices/ or a path to a device file
  bool adders_in_dsp = true;            // wide adders (PE adder trees, accumulators) in DSP slices' ALUs
  uint32_t cnn_line_pixels = 224;       // row length the CNN line buffers hold
  double asic_overhead = 1.43;          // placed-and-routed area / cell + macro area

  static void bind(ParamBinder& b, CostConfig& c) {
    b.text("fpga_device", c.fpga_device, "FPGA the resources are checked against: a name in scenarios/devices/ or a path");
    b.flag("adders_in_dsp", c.adders_in_dsp,
           "map the wide adders (CNN adder trees and accumulators) to DSP slices' ALUs instead of LUT carry chains");
    b.integer("cnn_line_pixels", c.cnn_line_pixels, "pixels",
              "row length the CNN line buffers hold (the engine model does not bound rows; cost only)", 1, 65536);
    b.real("asic_overhead", c.asic_overhead, "",
           "ASIC area factor over cells + SRAM macros (placement utilization, clock tree, wiring)", 1, 10);
  }
};

}  // namespace dlvp
