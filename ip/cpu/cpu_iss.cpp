#include "cpu_iss.h"
#include "ip/common/hex_text.h"

#include "ip/common/config_error.h"
#include "ip/common/log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dlvp {
namespace {

rv32::HartConfig hart_config(const CpuConfig& c, uint64_t ram_base, uint64_t ram_size, const ClockDomain& clock,
                             double timer_mhz) {
  rv32::HartConfig h;
  h.ram_base = static_cast<uint32_t>(ram_base);
  h.ram_size = static_cast<uint32_t>(ram_size);
  h.cycles.branch_penalty = c.branch_penalty_cycles;
  h.cycles.load_use = c.load_use_cycles;
  h.cycles.mul = c.mul_cycles;
  h.cycles.div = c.div_cycles;
  h.cycles.memory = c.l1_hit_cycles;
  h.emulate_misaligned = c.misaligned == "emulate";
  h.icache = rv32::CacheGeometry{c.l1i_size_bytes, c.l1i_ways, c.l1_line_bytes};
  h.dcache = rv32::CacheGeometry{c.l1d_size_bytes, c.l1d_ways, c.l1_line_bytes};
  h.period_ps = static_cast<uint64_t>(std::llround(clock.period.to_seconds() * 1e12));
  h.timer_hz = static_cast<uint64_t>(std::llround(timer_mhz * 1e6));
  return h;
}

// The RAM the 32-bit address space reaches from `base`.
uint64_t reachable(uint64_t base, uint64_t size) {
  constexpr uint64_t kSpace = uint64_t{1} << 32;
  return base >= kSpace ? 0 : std::min(size, kSpace - base);
}

}  // namespace

CpuIss::CpuIss(sc_core::sc_module_name name, const CpuConfig& config, const std::string& elf_path,
               EnergyLedger& ledger, const Platform& platform)
    : CpuHost(name),
      config_(config),
      platform_(platform),
      clock_(config.clock_mhz),
      period_ticks_(std::max<uint64_t>(1, clock_.period.value())),
      ram_size_(reachable(platform.ram_base, platform.ram_size)),
      elf_path_(elf_path),
      elf_(ElfImage::load(elf_path)),
      ledger_(ledger) {
  if (ram_size_ == 0) throw ConfigError(std::string(this->name()) + ": no RAM below 4 GiB for the RV32 CPU");
  elf_.check_fits(platform.ram_base, ram_size_, "DDR");
  // The words the CPU watches or dumps must lie in RAM: a corrupt symbol is bad input, not a run
  // that never ends or a signature file of gigabytes.
  elf_.check_symbol_fits("tohost", 4, 4, platform.ram_base, ram_size_, "DDR");
  hart_ = std::make_unique<rv32::Hart>(hart_config(config, platform.ram_base, ram_size_, clock_, platform.timer_mhz),
                                       static_cast<rv32::Bus&>(*this));
  if (const auto tohost = elf_.symbol("tohost")) hart_->watch_tohost(*tohost);
  if (!config.signature_file.empty()) {
    const auto begin = elf_.symbol("begin_signature"), end = elf_.symbol("end_signature");
    if (!begin || !end)
      throw ConfigError(elf_path + ": cpu.signature_file is set, but the program has no begin_signature and end_signature symbols");
    if (*end < *begin)
      throw ConfigError(elf_path + ": symbol end_signature at " + hex(*end) + " lies below begin_signature at " + hex(*begin));
    if (*end > *begin) elf_.check_symbol_fits("begin_signature", *end - *begin, 4, platform.ram_base, ram_size_, "DDR");
    if (!std::ofstream(config.signature_file))
      throw ConfigError("cpu.signature_file: cannot write " + config.signature_file);
  }

  const TechTable& tech = ledger.tech();
  auto sram_counter = [&](const char* counter, uint32_t bytes, bool write) {
    const std::string source = "tech:" + tech.name() + " sram_access_64b(" + std::to_string(bytes) + " B, " +
                               (write ? "write" : "read") + ") (" + tech.sram_source() + ")";
    return ledger.add_counter(CounterSpec{this->name(), counter, Level::other, write ? Action::write : Action::read,
                                          tech.sram_access_64b(bytes, write), "64-bit access", source});
  };
  counters_.instruction = ledger.add_counter_from_table(this->name(), "instruction", Level::other, Action::compute, "cpu_instruction");
  counters_.l1i_read = sram_counter("l1i.read", config.l1i_size_bytes, false);
  counters_.l1i_write = sram_counter("l1i.write", config.l1i_size_bytes, true);
  counters_.l1d_read = sram_counter("l1d.read", config.l1d_size_bytes, false);
  counters_.l1d_write = sram_counter("l1d.write", config.l1d_size_bytes, true);

  if (config.gdb_port) {  // listening now: a port in use is bad input, reported before simulation
    gdb_ = std::make_unique<gdb::GdbServer>(*hart_, static_cast<gdb::DebugMemory&>(*this));
    gdb_->listen(static_cast<uint16_t>(config.gdb_port));
  }

  SC_HAS_PROCESS(CpuIss);
  SC_THREAD(run);
}

void CpuIss::run() {
  wall_start_ = std::chrono::steady_clock::now();
  hart_->reset(elf_.entry());
  if (config_.dmi) request_dmi(platform_.ram_base);
  DLVP_LOG_INFO(name(), "running " << elf_path_ << " from " << hex(elf_.entry()));
  after_sync();
  if (gdb_) return run_under_gdb();  // a loop of its own: no debugger costs nothing here
  while (handle(hart_->run())) {
  }
}

bool CpuIss::handle(rv32::Stop stop) {
  switch (stop) {
    case rv32::Stop::budget: sync(); return true;
    case rv32::Stop::wfi: sleep(); return true;
    case rv32::Stop::step:
    case rv32::Stop::watchpoint: return true;  // gdb is told by its run loop
    case rv32::Stop::tohost: {
      const uint32_t value = hart_->tohost_value();
      tohost_ = value;
      if (value == 1) {
        DLVP_LOG_INFO(name(), "tohost = 1: pass");
        end_run(0);
      } else {
        DLVP_LOG_WARN(name(), "tohost = " << hex(value) << ": test " << (value >> 1) << " failed");
        end_run(std::min<uint32_t>(value >> 1, 255));
      }
      return false;
    }
    case rv32::Stop::halted:
      halt_reason_ = hart_->halt_reason();
      DLVP_LOG_ERROR(name(), halt_reason_ << "; the run ends with status " << kExitTrapLoop);
      end_run(kExitTrapLoop);
      return false;
  }
  return true;
}

// --- gdb --------------------------------------------------------------------------------------

void CpuIss::run_under_gdb() {
  gdb_->accept();
  wall_start_ = std::chrono::steady_clock::now();  // host_seconds leaves out the wait for gdb
  std::optional<gdb::StopReason> stopped;  // none at first: gdb asks why the hart is stopped
  for (;;) {
    switch (gdb_->serve(stopped)) {
      case gdb::GdbServer::Resume::step: {
        const rv32::Stop stop = hart_->step();
        if (!handle(stop)) return;
        if (hart_->cycles() >= hart_->budget_end()) sync();
        stopped = gdb::StopReason{};
        if (stop == rv32::Stop::watchpoint) stopped->watch = hart_->watch_hit();
        break;
      }
      case gdb::GdbServer::Resume::go:
        stopped = continue_under_gdb();
        if (!stopped) return;
        break;
      case gdb::GdbServer::Resume::detach:
        DLVP_LOG_INFO(name(), "gdb detached: the program runs on");
        while (handle(hart_->run())) {
        }
        return;
      case gdb::GdbServer::Resume::kill:
        DLVP_LOG_WARN(name(), "killed by gdb: the run ends with status " << kExitKilled);
        end_run(kExitKilled);
        return;
    }
  }
}

// Without breakpoints the hart runs at full speed (Hart::run, a quantum at a time); with some,
// it steps, looking at the pc before every instruction. Watchpoints stop either (the hart checks
// them on its memory paths). Ctrl-C is looked for every kGdbPollQuanta quanta.
std::optional<gdb::StopReason> CpuIss::continue_under_gdb() {
  bool leaving = true;  // the instruction gdb continues from runs even if it has a breakpoint
  for (uint32_t quanta = 1;; ++quanta) {
    std::optional<rv32::Stop> stop;
    if (gdb_->has_breakpoints()) {
      stop = run_to_breakpoint(leaving);
      if (!stop) return gdb::StopReason{};
    } else {
      leaving = false;
      stop = hart_->run();
    }
    if (!handle(*stop)) return std::nullopt;
    if (*stop == rv32::Stop::watchpoint) {
      if (hart_->cycles() >= hart_->budget_end()) sync();
      return gdb::StopReason{gdb::kSigTrap, hart_->watch_hit()};
    }
    if (quanta % kGdbPollQuanta == 0 && gdb_->interrupt_requested()) return gdb::StopReason{gdb::kSigInt, {}};
  }
}

// Steps to the end of the quantum; nothing when the pc reaches a breakpoint.
std::optional<rv32::Stop> CpuIss::run_to_breakpoint(bool& leaving) {
  while (hart_->cycles() < hart_->budget_end()) {
    if (!leaving && gdb_->breakpoint_at(hart_->pc())) return std::nullopt;
    leaving = false;
    const rv32::Stop stop = hart_->step();
    if (stop != rv32::Stop::step) return stop;
  }
  return rv32::Stop::budget;
}

bool CpuIss::debug_read(uint32_t address, uint8_t* data, uint32_t size) { return peek(address, data, size); }

bool CpuIss::debug_write(uint32_t address, const uint8_t* data, uint32_t size) {
  tlm::tlm_generic_payload t;
  setup_payload(t, tlm::TLM_WRITE_COMMAND, address, const_cast<uint8_t*>(data), size);
  return socket->transport_dbg(t) == size;
}

// --- time -----------------------------------------------------------------------------------

sc_core::sc_time CpuIss::cpu_time() const { return sc_core::sc_time::from_value(hart_->cycles() * period_ticks_); }

sc_core::sc_time CpuIss::local_time() const {
  const sc_core::sc_time t = cpu_time(), now = sc_core::sc_time_stamp();
  return t > now ? t - now : sc_core::SC_ZERO_TIME;
}

uint64_t CpuIss::cycles_of(const sc_core::sc_time& t) const { return (t.value() + period_ticks_ - 1) / period_ticks_; }

// CPU cycles from `issued` to the completion a b_transport returned (`delay` from now: the
// target may have waited).
uint64_t CpuIss::elapsed_cycles(const sc_core::sc_time& issued, const sc_core::sc_time& delay) const {
  const sc_core::sc_time done = sc_core::sc_time_stamp() + delay;
  return done > issued ? cycles_of(done - issued) : 0;
}

void CpuIss::advance_clock_to_now() {
  const uint64_t now = cycles_of(sc_core::sc_time_stamp());
  if (now > hart_->cycles()) hart_->add_cycles(now - hart_->cycles());
}

void CpuIss::sync() {
  flush_energy();
  quantum_.set(local_time());
  quantum_.sync();
  after_sync();
}

void CpuIss::after_sync() {
  advance_clock_to_now();  // a target may have waited inside b_transport
  hart_->set_interrupt_lines(irq_external.read(), irq_timer.read());
  const sc_core::sc_time boundary = sc_core::sc_time_stamp() + tlm::tlm_global_quantum::instance().compute_local_quantum();
  hart_->set_budget_end(std::max<uint64_t>(boundary.value() / period_ticks_, hart_->cycles() + 1));
}

void CpuIss::sleep() {
  ++stats_.sleeps;
  sync();
  const uint64_t start_cycles = hart_->cycles();
  while (!hart_->interrupt_waiting()) {
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    wait(irq_external.value_changed_event() | irq_timer.value_changed_event());
    stats_.sleep_time += sc_core::sc_time_stamp() - start;
    after_sync();  // the clock runs on while the core sleeps (mcycle counts it)
  }
  stats_.sleep_cycles += hart_->cycles() - start_cycles;
}

// --- bus ------------------------------------------------------------------------------------

bool CpuIss::read(uint32_t address, void* data, unsigned size) {
  return transport(tlm::TLM_READ_COMMAND, address, data, size);
}

bool CpuIss::write(uint32_t address, const void* data, unsigned size) {
  // TLM payloads carry non-const data pointers; writes never modify it.
  return transport(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), size);
}

// A load or store the hart cannot do through DMI. Device accesses are synchronization points: the
// CPU catches up with the kernel afterwards, so what the access changed (an interrupt line, a
// DMA started) is seen at the right time and the lines are sampled again.
bool CpuIss::transport(tlm::tlm_command command, uint32_t address, void* data, unsigned size) {
  const bool device = !in_ram(address);
  if (device) flush_energy();  // software may be about to read the energy counters (PMU)
  const sc_core::sc_time before = local_time();
  const sc_core::sc_time issued = sc_core::sc_time_stamp() + before;
  sc_core::sc_time delay = before;
  setup_payload(trans_, command, address, static_cast<unsigned char*>(data), size);
  socket->b_transport(trans_, delay);
  hart_->add_cycles(elapsed_cycles(issued, delay));
  const bool ok = !trans_.is_response_error();
  if (ok && command == tlm::TLM_WRITE_COMMAND && size == 4 && address == platform_.exit_register) {
    uint32_t status;
    std::memcpy(&status, data, 4);
    if (!exit_status_) exit_status_ = status;  // the first status stands (as in the system controller)
  }
  if (device) ++(command == tlm::TLM_READ_COMMAND ? stats_.device_reads : stats_.device_writes);
  else ++stats_.ram_bus_accesses;
  if (!ok) {
    // A runaway program may fault millions of times: the first ones are logged, all are counted.
    ++stats_.bus_errors;
    DLVP_LOG_WARN_LIMITED(name(), "bus error (" << trans_.get_response_string() << ") on a "
                                                << (command == tlm::TLM_READ_COMMAND ? "load" : "store") << " at "
                                                << hex(address) << ", pc " << hex(hart_->pc()) << ": access fault trap");
  } else if (config_.dmi && !hart_->has_ram_pointer() && !device && trans_.is_dmi_allowed()) {
    request_dmi(address);
  }
  if (device) {
    sync();
    if (hart_->interrupt_ready()) hart_->set_budget_end(0);  // leave run() soon to take it
  }
  return ok;
}

bool CpuIss::peek(uint32_t address, void* data, unsigned size) {
  tlm::tlm_generic_payload t;
  setup_payload(t, tlm::TLM_READ_COMMAND, address, static_cast<unsigned char*>(data), size);
  return socket->transport_dbg(t) == size;
}

// A cache line between the L1 and RAM. With DMI, the memory's accountant books its time and
// energy (bus and DDR) in one call, at the hart's time; without, it is a real transaction (a write-back writes back
// what memory holds: the caches keep no data).
uint64_t CpuIss::line_transfer(uint32_t address, unsigned bytes, bool write) {
  if (accountant_) {
    // At the hart's own time: the DDR opens rows and wakes ranks then (docs/ddr.md, "DMI").
    const sc_core::sc_time issued = sc_core::sc_time_stamp() + local_time();
    return cycles_of(accountant_->account_at(issued, address - accountant_offset_, bytes, write) - issued);
  }
  line_buffer_.resize(bytes);
  if (write && !peek(address, line_buffer_.data(), bytes)) return 0;
  tlm::tlm_generic_payload t;
  setup_payload(t, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, address, line_buffer_.data(), bytes);
  const sc_core::sc_time before = local_time();
  const sc_core::sc_time issued = sc_core::sc_time_stamp() + before;
  sc_core::sc_time delay = before;
  socket->b_transport(t, delay);
  return elapsed_cycles(issued, delay);
}

void CpuIss::request_dmi(uint64_t address) {
  const DmiGrant grant = request_dmi_with_accounting(socket, address);
  const tlm::tlm_dmi& dmi = grant.dmi;
  const bool granted = grant.granted;
  if (!granted || !dmi.is_read_write_allowed() || !dmi_covers(dmi, platform_.ram_base, ram_size_)) {
    DLVP_LOG_INFO(name(), "no DMI to all of RAM: its loads, stores and fetches go through the bus");
    return;
  }
  hart_->set_ram_pointer(dmi.get_dmi_ptr() + (platform_.ram_base - dmi.get_start_address()));
  accountant_ = grant.accountant;
  accountant_offset_ = grant.accountant_offset;
  DLVP_LOG_DEBUG(name(), "DMI granted for " << hex(dmi.get_start_address()) << "-" << hex(dmi.get_end_address()));
}

void CpuIss::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (start > platform_.ram_base + ram_size_ - 1 || end < platform_.ram_base) return;
  hart_->set_ram_pointer(nullptr);
  accountant_ = nullptr;
}

// --- end of the run -------------------------------------------------------------------------

// Ends the run as software does: the status goes to the system controller's EXIT register
// (which stops the simulation); without one, the simulation stops here.
void CpuIss::end_run(uint32_t status) {
  finished_ = true;
  flush_energy();
  if (platform_.exit_register) transport(tlm::TLM_WRITE_COMMAND, static_cast<uint32_t>(*platform_.exit_register), &status, 4);
  sc_core::sc_stop();
}

void CpuIss::end_of_simulation() {
  if (gdb_ && gdb_->connected()) {
    if (exit_status_) gdb_->exited(*exit_status_);
    else gdb_->terminated(gdb::kSigAlrm);  // the time limit (run.max_time_ms) ended the run
  }
  flush_energy();
  wall_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  dump_signature();
}

// The words between begin_signature and end_signature, one per line in lowercase hex.
void CpuIss::dump_signature() {
  if (config_.signature_file.empty()) return;
  const uint32_t begin = *elf_.symbol("begin_signature"), end = *elf_.symbol("end_signature");
  std::ofstream out(config_.signature_file);
  for (uint32_t at = begin; at + 4 <= end && at >= begin; at += 4) {
    uint32_t word = 0;
    if (!peek(at, &word, 4)) {
      DLVP_LOG_ERROR(name(), "signature word at " << hex(at) << " is not readable");
      break;
    }
    char line[16];
    std::snprintf(line, sizeof line, "%08x\n", word);
    out << line;
  }
  // Checked after a flush: a full disk shows there, not in the buffered writes.
  if (!out.flush()) {
    signature_write_failed_ = true;
    DLVP_LOG_ERROR(name(), "cannot write the signature to " << config_.signature_file);
  }
}

// Brings the ledger up to date with the hart's counts: the core and cache energy of every
// instruction, load, store, line fill and write-back (docs/cpu.md, "Energy").
void CpuIss::flush_energy() {
  const rv32::Hart::Stats& s = hart_->stats();
  const uint64_t words = std::max<uint32_t>(1, config_.l1_line_bytes / 8);  // 64-bit accesses per line
  const uint64_t instructions = hart_->instructions();
  auto count = [&](CounterId id, uint64_t n) {
    if (n) ledger_.count(id, n);
  };
  count(counters_.instruction, instructions - flushed_.instructions);
  count(counters_.l1i_read, instructions - flushed_.instructions);  // one fetch access per instruction
  count(counters_.l1i_write, (s.icache_fills - flushed_.icache_fills) * words);
  count(counters_.l1d_read, (s.loads - flushed_.loads) + (s.dcache_write_backs - flushed_.write_backs) * words);
  count(counters_.l1d_write, (s.stores - flushed_.stores) + (s.dcache_fills - flushed_.dcache_fills) * words);
  flushed_ = Flushed{instructions, s.icache_fills, s.loads, s.stores, s.dcache_fills, s.dcache_write_backs};
}

void CpuIss::report(nlohmann::json& out, double elapsed_ns) const {
  const rv32::Hart::Stats& s = hart_->stats();
  const uint64_t instructions = hart_->instructions(), cycles = hart_->cycles();
  const uint64_t active = cycles - stats_.sleep_cycles;
  out["mode"] = "iss";
  out["program"] = elf_path_;
  out["entry"] = hex(elf_.entry());
  out["clock_MHz"] = config_.clock_mhz;
  out["instructions"] = instructions;
  out["cycles"] = cycles;
  out["active_cycles"] = active;
  out["cpi"] = instructions ? static_cast<double>(active) / static_cast<double>(instructions) : 0.0;
  out["host_seconds"] = wall_seconds_;
  out["host_mips"] = wall_seconds_ > 0 ? static_cast<double>(instructions) / wall_seconds_ / 1e6 : 0.0;
  out["loads"] = s.loads;
  out["stores"] = s.stores;
  out["misaligned_emulated"] = s.misaligned_emulated;
  out["device_reads"] = stats_.device_reads;
  out["device_writes"] = stats_.device_writes;
  out["ram_bus_accesses"] = stats_.ram_bus_accesses;  // loads and stores to RAM without DMI
  out["bus_errors"] = stats_.bus_errors;
  const rv32::Cache& i = hart_->icache();
  const rv32::Cache& d = hart_->dcache();
  out["l1i"] = {{"size_bytes", i.geometry().size_bytes}, {"ways", i.geometry().ways}, {"line_bytes", i.line_bytes()},
                {"misses", i.stats().misses}};
  const uint64_t data_accesses = s.loads + s.stores;
  out["l1d"] = {{"size_bytes", d.geometry().size_bytes}, {"ways", d.geometry().ways}, {"line_bytes", d.line_bytes()},
                {"accesses", data_accesses}, {"misses", d.stats().misses}, {"write_backs", d.stats().write_backs},
                {"miss_rate", data_accesses ? static_cast<double>(d.stats().misses) / static_cast<double>(data_accesses) : 0.0}};
  out["decode_cache"] = {{"decoded", s.decoded}, {"invalidated", s.invalidated}, {"fence_i", s.fence_i}};
  nlohmann::json traps = nlohmann::json::object();
  for (uint32_t c = 0; c < 16; ++c) {
    if (s.exceptions[c]) traps[rv32::cause_name(c)] = s.exceptions[c];
    if (s.interrupts[c]) traps[rv32::cause_name(rv32::kInterruptBit | c)] = s.interrupts[c];
  }
  out["traps"] = std::move(traps);
  out["wfi_calls"] = s.wfi;
  out["sleeps"] = stats_.sleeps;
  out["sleep_time_ns"] = stats_.sleep_time.to_seconds() * 1e9;
  out["sleep_fraction"] = elapsed_ns > 0 ? stats_.sleep_time.to_seconds() * 1e9 / elapsed_ns : 0.0;
  if (tohost_) {
    out["tohost"] = *tohost_;
    out["tohost_result"] = *tohost_ == 1 ? "pass" : "fail";
    if (*tohost_ != 1) out["failing_test"] = *tohost_ >> 1;
  }
  if (!halt_reason_.empty()) out["halt_reason"] = halt_reason_;
  if (!config_.signature_file.empty()) out["signature_file"] = config_.signature_file;
}

}  // namespace dlvp
