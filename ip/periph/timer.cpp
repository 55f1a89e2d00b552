#include "timer.h"

#include "ip/common/soc_trace.h"

#include "ip/common/soc_map.h"

#include <cmath>
#include <limits>

namespace dlvp {

void TimerConfig::bind(ParamBinder& b, TimerConfig& c) {
  // The FREQUENCY register holds Hz in 32 bits.
  b.real("frequency_mhz", c.frequency_mhz, "MHz", "MTIME tick rate", 1e-6, 4000.0);
  RegisterTiming::bind(b, c.timing);
}

namespace {
using u128 = unsigned __int128;
}

Timer::Timer(sc_core::sc_module_name name, const TimerConfig& config)
    : sc_module(name),
      socket("socket"),
      irq("irq"),
      config_(config),
      bank_(this->name(), soc::kRegisterWindowBytes),
      frequency_hz_(static_cast<uint64_t>(std::llround(config.frequency_mhz * 1e6))),
      resolution_per_second_(static_cast<uint64_t>(std::llround(1.0 / sc_core::sc_get_time_resolution().to_seconds()))) {
  if (!(config.frequency_mhz > 0) || frequency_hz_ < 1 || frequency_hz_ > std::numeric_limits<uint32_t>::max())
    throw ConfigError(std::string(this->name()) + ": frequency_mhz must give a tick rate in [1 Hz, 4294 MHz]");
  socket.register_b_transport(this, &Timer::b_transport);
  socket.register_transport_dbg(this, &Timer::transport_dbg);
  bank_.add_all(timer::kRegisters);
  bank_.set(timer::FREQUENCY, frequency_hz_);
  bank_.on_read(timer::MTIME, [this](uint64_t) { return ticks_at(access_time_); });
  bank_.on_write(timer::MTIMECMP, [this](uint64_t, uint64_t) {
    ++mtimecmp_writes_;
    compare_event_.cancel();
    compare_event_.notify(sc_core::SC_ZERO_TIME);  // lower or raise the line for the new value
  });

  SC_METHOD(update_irq);
  sensitive << compare_event_;
}

uint64_t Timer::ticks_at(const sc_core::sc_time& t) const {
  return static_cast<uint64_t>(u128{t.value()} * frequency_hz_ / resolution_per_second_);
}

std::optional<sc_core::sc_time> Timer::time_of_tick(uint64_t ticks) const {
  // Round up: the first resolution step at which the count has reached `ticks`.
  const u128 value = (u128{ticks} * resolution_per_second_ + frequency_hz_ - 1) / frequency_hz_;
  if (value > std::numeric_limits<sc_core::sc_time::value_type>::max()) return std::nullopt;
  return sc_core::sc_time::from_value(static_cast<sc_core::sc_time::value_type>(value));
}

void Timer::update_irq() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const bool level = ticks_at(now) >= mtimecmp();
  if (level && !irq.read()) {
    ++interrupts_raised_;
    if (trace::interrupts_traced()) trace::emit(trace::Interrupt{now, name(), 0, "timer line, mip.MTIP", trace::IrqEvent::raised});
  }
  irq.write(level);
  if (level) return;
  if (const auto when = time_of_tick(mtimecmp())) compare_event_.notify(*when - now);
}

void Timer::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  // MTIME is sampled at the initiator's local time; the access itself then takes a while.
  access_time_ = sc_core::sc_time_stamp() + delay;
  bank_.b_transport(trans, delay);
  delay += config_.timing.access_delay();
  access_stats_.count(trans);
}

unsigned int Timer::transport_dbg(tlm::tlm_generic_payload& trans) {
  access_time_ = sc_core::sc_time_stamp();
  const unsigned int bytes = bank_.transport_dbg(trans);
  // A debugger that moves MTIMECMP expects the line to follow.
  if (bytes && trans.is_write()) {
    compare_event_.cancel();
    compare_event_.notify(sc_core::SC_ZERO_TIME);
  }
  return bytes;
}

void Timer::report(nlohmann::json& out, double) const {
  out["frequency_Hz"] = frequency_hz_;
  out["mtimecmp_writes"] = mtimecmp_writes_;
  out["interrupts_raised"] = interrupts_raised_;
  access_stats_.report(out);
}

}  // namespace dlvp
