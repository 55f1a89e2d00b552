#include "ip/common/engine_base.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dlvp {

EngineBase::EngineBase(sc_core::sc_module_name name, EnergyLedger& ledger, uint64_t local_base, uint32_t window_bytes)
    : sc_module(name), reg_socket("reg_socket"), ledger_(ledger), bank_(this->name(), window_bytes), local_base_(local_base) {
  reg_socket.register_b_transport(this, &EngineBase::reg_b_transport);
  reg_socket.register_transport_dbg(this, &EngineBase::reg_transport_dbg);
}

SramBuffer& EngineBase::add_buffer(const char* name, const SramBufferConfig& config) {
  buffers_.push_back(std::make_unique<SramBuffer>(name, config, ledger_));
  return *buffers_.back();
}

SramBuffer& EngineBase::buffer_at(size_t index) {
  if (index >= buffers_.size())
    throw std::out_of_range(std::string(name()) + " has no buffer " + std::to_string(index));
  return *buffers_[index];
}

uint64_t EngineBase::buffer_base_at(size_t index) const {
  uint64_t base = local_base_;
  for (size_t i = 0; i < index && i < buffers_.size(); ++i) base += buffers_[i]->size();
  return base;
}

uint64_t EngineBase::buffer_size_at(size_t index) const {
  return index < buffers_.size() ? buffers_[index]->size() : 0;
}

std::pair<sc_core::sc_time, sc_core::sc_time> EngineBase::occupy_datapath(uint64_t cycles, sc_core::sc_time& delay) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = std::max(now + delay, free_at_);
  const sc_core::sc_time end = start + clock_.cycles(cycles);
  free_at_ = end;
  delay = end - now;
  return {start, end};
}

void EngineBase::reg_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  bank_.b_transport(trans, delay);
  delay += clock_.period;  // the register interface answers in one engine cycle
}

unsigned int EngineBase::reg_transport_dbg(tlm::tlm_generic_payload& trans) { return bank_.transport_dbg(trans); }

}  // namespace dlvp
