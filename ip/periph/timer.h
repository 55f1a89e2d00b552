// Timer (RISC-V CLINT style): MTIME counts ticks of a fixed frequency since time zero and is
// read at the accessing initiator's local time; irq is high while MTIME >= MTIMECMP. Writing
// MTIMECMP reschedules the compare event, so the line rises exactly at the compare time.
#pragma once
#include "ip/common/params.h"
#include "ip/common/register_bank.h"
#include "ip/common/reportable.h"
#include "ip/common/register_window.h"
#include "ip/periph/timer_regs.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <optional>

namespace dlvp {

struct TimerConfig {
  double frequency_mhz = 100.0;  // MTIME tick rate
  RegisterTiming timing;

  static void bind(ParamBinder& b, TimerConfig& c);
};

class Timer : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<Timer> socket;
  sc_core::sc_out<bool> irq;  // machine timer interrupt

  SC_HAS_PROCESS(Timer);
  Timer(sc_core::sc_module_name name, const TimerConfig& config);

  uint64_t frequency_hz() const { return frequency_hz_; }
  // MTIME at simulated time t (whole ticks elapsed).
  uint64_t ticks_at(const sc_core::sc_time& t) const;
  // The first simulated time at which MTIME reaches `ticks`; none when beyond sc_time's range.
  std::optional<sc_core::sc_time> time_of_tick(uint64_t ticks) const;
  uint64_t mtimecmp() const { return bank_.get(timer::MTIMECMP); }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  // Drives irq from the kernel's time and schedules the next compare event.
  void update_irq();

  TimerConfig config_;
  RegisterBank bank_;
  uint64_t frequency_hz_;
  uint64_t resolution_per_second_;   // sc_time resolution units in one second
  sc_core::sc_time access_time_;     // initiator's local time of the access being served
  sc_core::sc_event compare_event_;  // the compare time, or "re-evaluate now" after a write

  RegisterAccessStats access_stats_;
  uint64_t mtimecmp_writes_ = 0;
  uint64_t interrupts_raised_ = 0;
};

}  // namespace dlvp
