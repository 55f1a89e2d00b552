#include "intc.h"

#include "ip/common/log.h"
#include "ip/periph/intc_regs.h"
#include "ip/common/soc_map.h"

namespace dlvp {

void IntcConfig::bind(ParamBinder& b, IntcConfig& c) {
  b.integer("sources", c.sources, "sources", "interrupt sources including source 0 (\"no interrupt\")", 2u,
            intc::kMaxSources);
  RegisterTiming::bind(b, c.timing);
}

Intc::Intc(sc_core::sc_module_name name, const IntcConfig& config)
    : sc_module(name),
      socket("socket"),
      irq_in("irq_in"),
      irq_out("irq_out"),
      config_(config),
      bank_(this->name(), soc::kRegisterWindowBytes),
      tie_low_("tie_low", false) {
  if (config_.sources < 2 || config_.sources > intc::kMaxSources)
    throw ConfigError(std::string(this->name()) + ": sources = " + std::to_string(config_.sources) +
                      " is out of range [2, " + std::to_string(intc::kMaxSources) + "]");
  irq_in.init(config_.sources);
  const uint32_t all = config_.sources == 32 ? ~0u : (1u << config_.sources) - 1;
  valid_mask_ = all & ~1u;
  claims_by_source_.assign(config_.sources, 0);
  source_names_.assign(config_.sources, "unwired");

  socket.register_b_transport(this, &Intc::b_transport);
  socket.register_transport_dbg(this, &Intc::transport_dbg);
  bank_.add_all(intc::kRegisters);
  bank_.set(intc::SOURCES, config_.sources);
  bank_.on_read(intc::PENDING, [this](uint64_t) { return pending_; });
  bank_.on_read(intc::IN_SERVICE, [this](uint64_t) { return in_service_; });
  bank_.on_write(intc::ENABLE, [this](uint64_t, uint64_t value) {
    bank_.set(intc::ENABLE, value & valid_mask_);  // bits of absent sources read 0
    state_changed_.notify(sc_core::SC_ZERO_TIME);
  });
  bank_.on_read(intc::CLAIM, [this](uint64_t) { return claim(); });
  bank_.on_write(intc::CLAIM, [this](uint64_t, uint64_t id) { complete(id); });

  SC_METHOD(evaluate);
  for (auto& line : irq_in) sensitive << line;
  sensitive << state_changed_;
}

void Intc::before_end_of_elaboration() {
  // Only wired sources need a signal; the others read low.
  for (auto& line : irq_in)
    if (line.bind_count() == 0) line.bind(tie_low_);
}

void Intc::set_source_name(uint32_t source, std::string name) {
  if (source < source_names_.size()) source_names_[source] = std::move(name);
}

void Intc::note_irq(uint32_t source, trace::IrqEvent event, const sc_core::sc_time& time) const {
  trace::emit(trace::Interrupt{time, name(), source, source_names_[source], event});
}

uint32_t Intc::enabled() const { return static_cast<uint32_t>(bank_.get(intc::ENABLE)) & valid_mask_; }

void Intc::latch_levels(const sc_core::sc_time& now) {
  for (uint32_t s = 1; s < config_.sources; ++s) {
    const uint32_t bit = 1u << s;
    if (!irq_in[s].read() || (in_service_ & bit) || (pending_ & bit)) continue;
    pending_ |= bit;
    if (trace::interrupts_traced()) note_irq(s, trace::IrqEvent::raised, now);
  }
}

void Intc::evaluate() {
  latch_levels(sc_core::sc_time_stamp());
  const bool level = claimable() != 0;
  if (level && !irq_out.read()) ++irq_assertions_;
  irq_out.write(level);
}

uint64_t Intc::claim() {
  const uint32_t candidates = claimable();
  if (candidates == 0) {
    if (!debug_access_) ++empty_claims_;
    return intc::kNoSource;
  }
  const uint32_t id = static_cast<uint32_t>(__builtin_ctz(candidates));  // lowest number wins
  if (debug_access_) return id;
  pending_ &= ~(1u << id);
  in_service_ |= 1u << id;
  ++claims_by_source_[id];
  if (trace::interrupts_traced()) note_irq(id, trace::IrqEvent::claimed, access_time_);
  state_changed_.notify(sc_core::SC_ZERO_TIME);
  return id;
}

void Intc::complete(uint64_t id) {
  if (id == 0 || id >= config_.sources || !(in_service_ & (1u << id))) {
    // As on a PLIC, completing a source that is not in service is ignored.
    ++invalid_completions_;
    DLVP_LOG_WARN_LIMITED(name(), "completion of source " << id << " ignored: it is not in service");
    return;
  }
  ++completions_;
  in_service_ &= ~(1u << id);
  if (trace::interrupts_traced()) note_irq(static_cast<uint32_t>(id), trace::IrqEvent::completed, access_time_);
  latch_levels(access_time_);  // a line still high is pending again at once, visible to the next claim
  state_changed_.notify(sc_core::SC_ZERO_TIME);
}

void Intc::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  access_time_ = sc_core::sc_time_stamp() + delay;
  bank_.b_transport(trans, delay);
  delay += config_.timing.access_delay();
  access_stats_.count(trans);
}

unsigned int Intc::transport_dbg(tlm::tlm_generic_payload& trans) {
  debug_access_ = true;
  const unsigned int bytes = bank_.transport_dbg(trans);
  debug_access_ = false;
  if (bytes && trans.is_write()) state_changed_.notify(sc_core::SC_ZERO_TIME);  // e.g. ENABLE from a debugger
  return bytes;
}

void Intc::report(nlohmann::json& out, double) const {
  nlohmann::json per_source = nlohmann::json::object();
  for (uint32_t s = 1; s < config_.sources; ++s)
    if (claims_by_source_[s]) per_source[std::to_string(s)] = claims_by_source_[s];
  out["claims_by_source"] = per_source;
  out["empty_claims"] = empty_claims_;
  out["completions"] = completions_;
  out["invalid_completions"] = invalid_completions_;
  out["irq_assertions"] = irq_assertions_;
  access_stats_.report(out);
}

}  // namespace dlvp
