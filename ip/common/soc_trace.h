// What software does to the SoC, event by event, for bring-up: every device register access
// (time, initiator, block, register, direction, value) and every interrupt raised, claimed and
// completed. Sites report to the sinks added here: the log lines of `dlvp run --log mmio,irq`
// (LogLines) and any other consumer (e.g. trace tracks) through the same Sink interface. While
// no sink wants a kind, its sites cost one flag test.
#pragma once
#include "ip/common/log.h"
#include "ip/common/regdef.h"

#include <systemc>
#include <tlm>

#include <cstdint>
#include <string>
#include <string_view>

namespace dlvp::trace {

struct RegisterAccess {
  sc_core::sc_time time;          // the initiator's local time of the access
  std::string_view initiator;     // the bus initiator ("cpu", "dma", ...; "?" when not on the bus)
  std::string_view block;         // the register bank's owner (hierarchical name)
  const regs::RegDef* reg;        // the register at the first byte; nullptr when unmapped
  uint32_t offset;                // in the block's window
  uint32_t size;                  // bytes
  bool write;
  uint64_t value;                 // the bytes read or written (the first 8), little-endian
  tlm::tlm_response_status status;
};

enum class IrqEvent { raised, claimed, completed };
struct Interrupt {
  sc_core::sc_time time;
  std::string_view controller;  // who saw it: the interrupt controller, or the timer (its own line)
  uint32_t source;              // interrupt-controller source (0 for the timer's line)
  std::string_view source_name; // the device wired to it
  IrqEvent event;
};
const char* to_string(IrqEvent event);

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void register_access(const RegisterAccess&) {}
  virtual void interrupt(const Interrupt&) {}
};

// Adds a sink for the kinds it wants until remove_sink (or the Scope's end).
void add_sink(Sink& sink, bool register_accesses, bool interrupts);
void remove_sink(Sink& sink);
struct Scope {
  Scope(Sink& sink, bool register_accesses, bool interrupts) : sink_(sink) { add_sink(sink, register_accesses, interrupts); }
  ~Scope() { remove_sink(sink_); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Sink& sink_;
};

// Whether a site must build its event (some sink wants the kind).
inline bool g_register_accesses = false, g_interrupts = false;
inline bool register_accesses_traced() { return g_register_accesses; }
inline bool interrupts_traced() { return g_interrupts; }
void emit(const RegisterAccess& access);
void emit(const Interrupt& interrupt);

// The initiator of a bus transaction, attached by the bus while register accesses are traced.
struct InitiatorExtension : tlm::tlm_extension<InitiatorExtension> {
  std::string name;
  tlm::tlm_extension_base* clone() const override { return new InitiatorExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    name = static_cast<const InitiatorExtension&>(other).name;
  }
};
std::string_view initiator_of(const tlm::tlm_generic_payload& trans);

// The log lines of `--log mmio` and `--log irq`, each kind limited to kLinesPerKind lines; then
// one notice ("further lines from mmio trace are suppressed (50000 shown)") and counts in
// report.json's log.suppressed, as for every guest-triggerable line.
class LogLines : public Sink {
 public:
  static constexpr unsigned long kLinesPerKind = 50000;
  void register_access(const RegisterAccess& access) override;
  void interrupt(const Interrupt& interrupt) override;
};

}  // namespace dlvp::trace
