// What the platform sees of the CPU host, whichever way the software runs (cpu.mode): native
// (CpuNative, a host-compiled app plugin) or iss (CpuIss, the RV32 instruction-set simulator).
// One initiator socket on the system bus, the two interrupt lines, statistics for the report.
#pragma once
#include "ip/common/reportable.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <string>

namespace dlvp {

class CpuHost : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_initiator_socket<CpuHost> socket;
  sc_core::sc_in<bool> irq_external;  // machine external interrupt (the interrupt controller)
  sc_core::sc_in<bool> irq_timer;     // machine timer interrupt (the timer)

  // The software stopped by itself (returned, tohost, trap loop) rather than by the system
  // controller's EXIT register ending the simulation.
  virtual bool finished() const = 0;

  std::string report_name() const override { return name(); }

 protected:
  explicit CpuHost(sc_core::sc_module_name name)
      : sc_module(name), socket("socket"), irq_external("irq_external"), irq_timer("irq_timer") {
    socket.register_invalidate_direct_mem_ptr(this, &CpuHost::dmi_invalidated);
  }

  // DMI pointers granted for [start, end] are no longer valid.
  virtual void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) = 0;

 private:
  void dmi_invalidated(sc_dt::uint64 start, sc_dt::uint64 end) { invalidate_direct_mem_ptr(start, end); }
};

}  // namespace dlvp
