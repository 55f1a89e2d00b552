// Interrupt controller (PLIC-like, one target, no priorities): level-sensitive sources are
// latched into PENDING by a gateway while the source is not in service; irq_out is high while
// any pending source is enabled. Software claims the lowest-numbered pending enabled source and
// completes it when served (see intc_regs.h for the protocol).
#pragma once
#include "ip/common/params.h"
#include "ip/common/register_bank.h"
#include "ip/common/reportable.h"
#include "ip/common/soc_trace.h"
#include "ip/common/register_window.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp {

struct IntcConfig {
  uint32_t sources = 16;  // interrupt sources including source 0 ("no interrupt")
  RegisterTiming timing;

  static void bind(ParamBinder& b, IntcConfig& c);
};

class Intc : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<Intc> socket;
  // One level-sensitive line per source; index 0 exists but is never latched. Lines left
  // unbound at the end of elaboration are tied low.
  sc_core::sc_vector<sc_core::sc_in<bool>> irq_in;
  sc_core::sc_out<bool> irq_out;  // to the CPU's external interrupt input

  SC_HAS_PROCESS(Intc);
  Intc(sc_core::sc_module_name name, const IntcConfig& config);

  // The device wired to `source`, named in the interrupt trace (soc_trace.h).
  void set_source_name(uint32_t source, std::string name);

  uint32_t pending() const { return pending_; }
  uint32_t in_service() const { return in_service_; }
  const IntcConfig& config() const { return config_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  void before_end_of_elaboration() override;

  // Gateway: latch high lines of sources not in service, then drive irq_out.
  void evaluate();
  void latch_levels(const sc_core::sc_time& now);
  void note_irq(uint32_t source, trace::IrqEvent event, const sc_core::sc_time& time) const;
  uint32_t claimable() const { return pending_ & enabled(); }
  uint32_t enabled() const;
  uint64_t claim();
  void complete(uint64_t id);

  IntcConfig config_;
  RegisterBank bank_;
  uint32_t valid_mask_;   // bits of sources 1..sources-1
  uint32_t pending_ = 0;
  uint32_t in_service_ = 0;
  bool debug_access_ = false;          // debug reads of CLAIM must not claim
  sc_core::sc_time access_time_;       // of the register access under way (claims, completions)
  std::vector<std::string> source_names_;
  sc_core::sc_event state_changed_;    // registers changed irq_out's inputs
  sc_core::sc_signal<bool> tie_low_;   // drives unbound irq_in lines

  RegisterAccessStats access_stats_;
  std::vector<uint64_t> claims_by_source_;
  uint64_t empty_claims_ = 0;
  uint64_t completions_ = 0;
  uint64_t invalid_completions_ = 0;
  uint64_t irq_assertions_ = 0;
};

}  // namespace dlvp
