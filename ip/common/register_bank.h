// A memory-mapped register bank declared as data.
//
// Registers come from a RegDef table (see regdef.h); the model attaches read/write hooks by name.
// The bank answers any TLM access inside its window: partial and misaligned accesses touch just
// the bytes they cover, byte enables are honoured, and unmapped bytes, writes to read-only
// registers or streaming bursts get TLM error responses (nothing is modified then). The debug
// transport honours the same access rules (a debugger's write to a read-only register is refused:
// 0 bytes, TLM_COMMAND_ERROR_RESPONSE) but runs no write hooks.
#pragma once
#include "regdef.h"

#include <systemc>
#include <tlm>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <utility>
#include <string>
#include <vector>

namespace dlvp {

class RegisterBank {
 public:
  // Called after a write changed a register's stored value (old -> new).
  using WriteHook = std::function<void(uint64_t old_value, uint64_t new_value)>;
  // Supplies the value of a register on read (for counters and live status); gets the stored value.
  using ReadHook = std::function<uint64_t(uint64_t stored_value)>;

  // `owner` names the block in log lines; `window_bytes` is the size of its address window.
  RegisterBank(std::string owner, uint32_t window_bytes);

  void add(const regs::RegDef& def);
  template <size_t N>
  void add_all(const regs::RegDef (&defs)[N]) {
    for (const auto& d : defs) add(d);
  }
  void on_write(uint32_t offset, WriteHook hook);
  void on_read(uint32_t offset, ReadHook hook);

  // A block's performance counters as registers: each register of `fields` reads its member of
  // `counters` live; writing `clear_bit` to register `control` resets them all (the bit clears
  // itself, the others stay).
  template <typename Counters>
  void bind_counters(Counters& counters, std::initializer_list<std::pair<uint32_t, uint64_t Counters::*>> fields,
                     uint32_t control, uint64_t clear_bit) {
    for (const auto& [offset, field] : fields)
      on_read(offset, [&counters, field = field](uint64_t) { return counters.*field; });
    on_write(control, [this, &counters, control, clear_bit](uint64_t, uint64_t value) {
      if (value & clear_bit) counters = Counters{};
      set(control, value & ~clear_bit);
    });
  }

  // Model-side access to the stored value (no hooks, no access checks).
  uint64_t get(uint32_t offset) const;
  void set(uint32_t offset, uint64_t value);

  void reset();

  // TLM access; `address` in the payload is relative to the window.
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);

  const std::string& owner() const { return owner_; }
  const regs::RegDef* find(uint32_t offset) const;
  const regs::RegDef* find(const std::string& name) const;

 private:
  struct Entry {
    regs::RegDef def;
    uint64_t value;
    WriteHook write_hook;
    ReadHook read_hook;
  };
  Entry& entry_at(uint32_t offset);
  const Entry* entry_at(uint32_t offset) const;
  // Validates the access; returns TLM_OK_RESPONSE or the error it deserves.
  tlm::tlm_response_status check(const tlm::tlm_generic_payload& trans, bool debug) const;
  void do_read(tlm::tlm_generic_payload& trans, bool run_hooks);
  void do_write(tlm::tlm_generic_payload& trans, bool run_hooks);
  void trace_access(const tlm::tlm_generic_payload& trans, const sc_core::sc_time& time,
                    tlm::tlm_response_status status) const;

  std::string owner_;
  std::vector<Entry> entries_;
  std::vector<int16_t> entry_of_byte_;  // window byte -> entries_ index, -1 when unmapped
};

}  // namespace dlvp
