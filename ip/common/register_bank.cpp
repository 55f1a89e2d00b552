#include "register_bank.h"

#include "log.h"
#include "range_check.h"
#include "soc_trace.h"

#include <algorithm>
#include <stdexcept>

namespace dlvp {

RegisterBank::RegisterBank(std::string owner, uint32_t window_bytes)
    : owner_(std::move(owner)), entry_of_byte_(window_bytes, -1) {}

void RegisterBank::add(const regs::RegDef& def) {
  // These are programming errors in a model's own table, not guest input.
  if (def.width_bytes != 4 && def.width_bytes != 8)
    throw std::logic_error(owner_ + ": register " + def.name + " has width other than 4 or 8");
  if (def.offset % def.width_bytes != 0 || def.offset + def.width_bytes > entry_of_byte_.size())
    throw std::logic_error(owner_ + ": register " + def.name + " misplaced in its window");
  const auto index = static_cast<int16_t>(entries_.size());
  for (uint32_t b = def.offset; b < def.offset + def.width_bytes; ++b) {
    if (entry_of_byte_[b] >= 0)
      throw std::logic_error(owner_ + ": register " + def.name + " overlaps another register");
    entry_of_byte_[b] = index;
  }
  entries_.push_back(Entry{def, def.reset_value, {}, {}});
}

RegisterBank::Entry& RegisterBank::entry_at(uint32_t offset) {
  if (offset >= entry_of_byte_.size() || entry_of_byte_[offset] < 0)
    throw std::logic_error(owner_ + ": no register at offset " + std::to_string(offset));
  return entries_[entry_of_byte_[offset]];
}

const RegisterBank::Entry* RegisterBank::entry_at(uint32_t offset) const {
  if (offset >= entry_of_byte_.size() || entry_of_byte_[offset] < 0) return nullptr;
  return &entries_[entry_of_byte_[offset]];
}

void RegisterBank::on_write(uint32_t offset, WriteHook hook) { entry_at(offset).write_hook = std::move(hook); }
void RegisterBank::on_read(uint32_t offset, ReadHook hook) { entry_at(offset).read_hook = std::move(hook); }

uint64_t RegisterBank::get(uint32_t offset) const {
  const Entry* e = entry_at(offset);
  if (!e) throw std::logic_error(owner_ + ": no register at offset " + std::to_string(offset));
  return e->value;
}

void RegisterBank::set(uint32_t offset, uint64_t value) { entry_at(offset).value = value; }

void RegisterBank::reset() {
  for (auto& e : entries_) e.value = e.def.reset_value;
}

const regs::RegDef* RegisterBank::find(uint32_t offset) const {
  const Entry* e = entry_at(offset);
  return e ? &e->def : nullptr;
}

const regs::RegDef* RegisterBank::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (name == e.def.name) return &e.def;
  return nullptr;
}

tlm::tlm_response_status RegisterBank::check(const tlm::tlm_generic_payload& trans, bool debug) const {
  const uint64_t addr = trans.get_address();
  const uint64_t len = trans.get_data_length();
  if (!range_within(addr, len, 0, entry_of_byte_.size())) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (!debug && trans.get_streaming_width() < len) return tlm::TLM_BURST_ERROR_RESPONSE;
  if (!debug && trans.get_byte_enable_ptr() && trans.get_byte_enable_length() == 0)
    return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  for (uint64_t b = addr; b < addr + len; ++b) {
    const int16_t i = entry_of_byte_[b];
    if (i < 0) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    // Read-only holds for debuggers too: a debugger cannot make hardware state up.
    if (trans.is_write() && entries_[i].def.access == regs::Access::RO) return tlm::TLM_COMMAND_ERROR_RESPONSE;
  }
  return tlm::TLM_OK_RESPONSE;
}

namespace {
bool byte_enabled(const tlm::tlm_generic_payload& t, uint64_t i) {
  const unsigned char* be = t.get_byte_enable_ptr();
  return !be || be[i % t.get_byte_enable_length()] == TLM_BYTE_ENABLED;
}
}  // namespace

void RegisterBank::do_read(tlm::tlm_generic_payload& trans, bool run_hooks) {
  const uint64_t addr = trans.get_address();
  unsigned char* data = trans.get_data_ptr();
  uint64_t i = 0;
  while (i < trans.get_data_length()) {
    const int16_t idx = entry_of_byte_[addr + i];
    Entry& e = entries_[idx];
    uint64_t value = e.def.access == regs::Access::WO ? 0 : e.value;
    if (run_hooks && e.read_hook && e.def.access != regs::Access::WO) value = e.read_hook(e.value);
    // Copy the bytes of this register that the access covers (little-endian, as the SoC is).
    for (; i < trans.get_data_length() && entry_of_byte_[addr + i] == idx; ++i) {
      const uint32_t byte_in_reg = static_cast<uint32_t>(addr + i - e.def.offset);
      if (byte_enabled(trans, i)) data[i] = static_cast<unsigned char>(value >> (8 * byte_in_reg));
    }
  }
}

void RegisterBank::do_write(tlm::tlm_generic_payload& trans, bool run_hooks) {
  const uint64_t addr = trans.get_address();
  const unsigned char* data = trans.get_data_ptr();
  uint64_t i = 0;
  while (i < trans.get_data_length()) {
    const int16_t idx = entry_of_byte_[addr + i];
    Entry& e = entries_[idx];
    const uint64_t old_value = e.value;
    uint64_t written = 0, mask = 0;
    for (; i < trans.get_data_length() && entry_of_byte_[addr + i] == idx; ++i) {
      if (!byte_enabled(trans, i)) continue;
      const uint32_t shift = 8 * static_cast<uint32_t>(addr + i - e.def.offset);
      written |= uint64_t{data[i]} << shift;
      mask |= uint64_t{0xff} << shift;
    }
    uint64_t new_value = (old_value & ~mask) | (written & mask);
    if (e.def.access == regs::Access::W1C) new_value = old_value & ~(written & mask);
    e.value = new_value;
    if (run_hooks && e.write_hook) e.write_hook(old_value, new_value);
  }
}

void RegisterBank::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const auto status = check(trans, false);
  const bool traced = trace::register_accesses_traced();
  const sc_core::sc_time time = traced ? sc_core::sc_time_stamp() + delay : sc_core::SC_ZERO_TIME;
  trans.set_dmi_allowed(false);
  if (status != tlm::TLM_OK_RESPONSE) {
    DLVP_LOG_WARN_LIMITED(owner_, (trans.is_write() ? "write" : "read") << " of " << trans.get_data_length()
                              << " B at register offset 0x" << std::hex << trans.get_address()
                              << " refused: " << (status == tlm::TLM_ADDRESS_ERROR_RESPONSE   ? "unmapped register"
                                  : status == tlm::TLM_COMMAND_ERROR_RESPONSE ? "read-only register"
                                                                              : "malformed access"));
    if (traced) trace_access(trans, time, status);
    trans.set_response_status(status);
    return;
  }
  // A write is reported before it acts (its hooks may raise an interrupt, whose line then follows),
  // a read after (with the value read).
  if (trans.is_write()) {
    if (traced) trace_access(trans, time, status);
    do_write(trans, true);
  } else if (trans.is_read()) {
    do_read(trans, true);
    if (traced) trace_access(trans, time, status);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void RegisterBank::trace_access(const tlm::tlm_generic_payload& trans, const sc_core::sc_time& time,
                                tlm::tlm_response_status status) const {
  const bool ok = status == tlm::TLM_OK_RESPONSE;
  const auto offset = static_cast<uint32_t>(trans.get_address());
  const auto size = static_cast<uint32_t>(trans.get_data_length());
  uint64_t value = 0;
  if (ok)
    for (uint32_t i = 0; i < std::min<uint32_t>(size, 8); ++i) value |= uint64_t{trans.get_data_ptr()[i]} << (8 * i);
  const Entry* entry = offset < entry_of_byte_.size() ? entry_at(offset) : nullptr;
  trace::emit(trace::RegisterAccess{time, trace::initiator_of(trans), owner_, entry ? &entry->def : nullptr, offset,
                                    size, trans.is_write(), value, status});
}

unsigned int RegisterBank::transport_dbg(tlm::tlm_generic_payload& trans) {
  if (const auto status = check(trans, true); status != tlm::TLM_OK_RESPONSE) {
    trans.set_response_status(status);
    return 0;
  }
  // Each register's access holds as for b_transport (read-only refused, write-1-to-clear clears,
  // write-only reads 0). Debug reads may use read hooks (live counters have no side effects);
  // debug writes change the stored value without triggering actions.
  if (trans.is_read()) do_read(trans, true);
  else if (trans.is_write()) do_write(trans, false);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return trans.get_data_length();
}

}  // namespace dlvp
