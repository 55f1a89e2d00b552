#include "soc_trace.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace dlvp::trace {
namespace {

struct Registered {
  Sink* sink;
  bool register_accesses, interrupts;
};
std::vector<Registered>& sinks() {
  static std::vector<Registered> all;
  return all;
}

void update_flags() {
  g_register_accesses = g_interrupts = false;
  for (const Registered& r : sinks()) {
    g_register_accesses |= r.register_accesses;
    g_interrupts |= r.interrupts;
  }
}

std::string microseconds(const sc_core::sc_time& t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f us", t.to_seconds() * 1e6);
  return text;
}

}  // namespace

const char* to_string(IrqEvent event) {
  switch (event) {
    case IrqEvent::raised: return "raised";
    case IrqEvent::claimed: return "claimed";
    case IrqEvent::completed: return "completed";
  }
  return "?";
}

void add_sink(Sink& sink, bool register_accesses, bool interrupts) {
  sinks().push_back({&sink, register_accesses, interrupts});
  update_flags();
}

void remove_sink(Sink& sink) {
  auto& all = sinks();
  all.erase(std::remove_if(all.begin(), all.end(), [&](const Registered& r) { return r.sink == &sink; }), all.end());
  update_flags();
}

void emit(const RegisterAccess& access) {
  for (const Registered& r : sinks())
    if (r.register_accesses) r.sink->register_access(access);
}

void emit(const Interrupt& interrupt) {
  for (const Registered& r : sinks())
    if (r.interrupts) r.sink->interrupt(interrupt);
}

std::string_view initiator_of(const tlm::tlm_generic_payload& trans) {
  const auto* extension = trans.get_extension<InitiatorExtension>();
  return extension ? std::string_view(extension->name) : std::string_view("?");
}

// "mmio cpu write cnn.CTRL (+0x000, 4 B) = 0x1 at 12.345 us"; refused accesses say why.
void LogLines::register_access(const RegisterAccess& a) {
  static log::LimitedSite site("mmio trace", kLinesPerKind);
  const std::string block(a.block);
  if (!site.shows_next()) return site.suppress(log::Level::info, block);
  char place[48], value[32];
  std::snprintf(place, sizeof place, " (+0x%03x, %u B)", a.offset, a.size);
  std::snprintf(value, sizeof value, "0x%llx", static_cast<unsigned long long>(a.value));
  std::string line = "mmio " + std::string(a.initiator) + (a.write ? " write " : " read ") +
                     (a.reg ? a.reg->name : "(unmapped)") + place;
  if (a.status == tlm::TLM_OK_RESPONSE) line += std::string(a.write ? " = " : " -> ") + value;
  else line += a.status == tlm::TLM_COMMAND_ERROR_RESPONSE ? " refused (read-only)" : " refused";
  site.show(log::Level::info, block, line + " at " + microseconds(a.time));
}

// "irq source 1 (dma) raised at 3.210 us"
void LogLines::interrupt(const Interrupt& i) {
  static log::LimitedSite site("irq trace", kLinesPerKind);
  const std::string controller(i.controller);
  if (!site.shows_next()) return site.suppress(log::Level::info, controller);
  std::string line = "irq ";
  if (i.source) line += "source " + std::to_string(i.source) + " ";
  line += "(" + std::string(i.source_name) + ") " + to_string(i.event) + " at " + microseconds(i.time);
  site.show(log::Level::info, controller, line);
}

}  // namespace dlvp::trace
