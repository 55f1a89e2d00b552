// Parameters of the CPU host (scenario section `cpu`).
#pragma once
#include "ip/common/params.h"

#include <string>

namespace dlvp {

struct CpuConfig {
  std::string mode = "native";
  double clock_mhz = 667.0;           // the Zynq-7020's Cortex-A9 clock, the Aristotle board's host
  uint32_t access_cycles = 1;         // CPU cycles to issue one load/store before the bus delay
  uint32_t max_burst_bytes = 64;      // largest bus transaction of a bulk copy without DMI
  bool dmi = true;                    // use DMI for memory that grants it

  static void bind(ParamBinder& b, CpuConfig& c) {
    b.choice("mode", c.mode, {"native"}, "how the software runs: native = host-compiled app plugin");
    b.real("clock_mhz", c.clock_mhz, "MHz", "CPU clock", 1, 10000);
    b.integer("access_cycles", c.access_cycles, "cycles", "CPU cycles to issue one load/store", 0, 1000);
    b.integer("max_burst_bytes", c.max_burst_bytes, "B", "largest bus transaction of a bulk copy without DMI", 4, 4096);
    b.flag("dmi", c.dmi, "use direct memory interface pointers where memory grants them");
  }
};

}  // namespace dlvp
