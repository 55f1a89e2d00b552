// The hart's machine-mode CSRs and traps (privileged specification 20211203, M-mode only).
#include "rv32_hart.h"
#include "ip/common/hex_text.h"

#include "ip/cpu/rv32_decode.h"

#include <cstdio>

namespace dlvp::rv32 {
namespace {

constexpr uint32_t kMstatusWritable = kMstatusMie | kMstatusMpie;
constexpr uint32_t kMieWritable = kMipMsip | kMipMtip | kMipMeip;

bool in_range(uint16_t csr, uint16_t first, uint16_t last) { return csr >= first && csr <= last; }
// CSRs whose address says read-only (bits 11:10 = 3): writing them is an illegal instruction.
bool read_only(uint16_t csr) { return (csr >> 10) == 3; }

}  // namespace

// --- traps ----------------------------------------------------------------------------------

void Hart::exception(uint32_t cause, uint32_t tval, uint32_t epc) {
  ++stats_.exceptions[cause & 15];
  trap(cause, tval, epc);
}

// Priority among pending enabled interrupts: external, software, timer.
void Hart::take_interrupt(uint32_t pc) {
  const uint32_t pending = mip_ & mie_;
  const uint32_t cause = (pending & kMipMeip)   ? kMachineExternalInterrupt
                         : (pending & kMipMsip) ? kMachineSoftwareInterrupt
                                                : kMachineTimerInterrupt;
  ++stats_.interrupts[cause];
  trap(kInterruptBit | cause, 0, pc);
}

void Hart::trap(uint32_t cause, uint32_t tval, uint32_t epc) {
  check_progress(cause, tval, epc);
  mepc_ = epc;
  mcause_ = cause;
  mtval_ = tval;
  mstatus_ = (mstatus_ & kMstatusMie) ? (mstatus_ | kMstatusMpie) & ~kMstatusMie : mstatus_ & ~kMstatusMpie;
  reserved_ = false;
  uint32_t target = mtvec_ & ~3u;
  if ((mtvec_ & 1) && (cause & kInterruptBit)) target += 4 * (cause & ~kInterruptBit);  // vectored
  pc_ = target;
  fetch_line_ = kNoLine;
  cycles_ += 1 + config_.cycles.branch_penalty;
}

void Hart::mret() {
  mret_since_trap_ = true;
  pc_ = mepc_ & ~ialign_mask_;
  mstatus_ = (mstatus_ & kMstatusMpie) ? mstatus_ | kMstatusMie | kMstatusMpie : (mstatus_ & ~kMstatusMie) | kMstatusMpie;
  reserved_ = false;
  if (interrupt_ready()) take_interrupt(pc_);
}

// The instruction's bits for mtval, read again (CSR instructions keep no copy in the cache).
void Hart::illegal_instruction(uint32_t pc) {
  uint32_t bits = 0, unused = 0;
  if (!fetch_bits(pc, bits, unused)) bits = 0;
  exception(kIllegalInstruction, bits, pc);
}

// Halts the hart when its traps show it cannot make progress (HartConfig: trap loop, trap storm).
void Hart::check_progress(uint32_t cause, uint32_t tval, uint32_t epc) {
  const uint64_t since_last = instret_ - last_trap_instret_;
  if (since_last == 0) {
    ++traps_without_progress_;
  } else {
    traps_without_progress_ = 1;
    first_trap_ = TrapRecord{cause, epc, tval};
  }
  trap_storm_ = !mret_since_trap_ && since_last <= config_.trap_storm_window ? trap_storm_ + 1 : 0;
  last_trap_instret_ = instret_;
  mret_since_trap_ = false;
  const auto where = [](uint32_t c, uint32_t pc, uint32_t v) {
    return std::string(cause_name(c)) + " at pc " + hex(pc, 8) + " (mtval " + hex(v, 8) + ")";
  };
  if (traps_without_progress_ > config_.trap_loop_limit) {
    halted_ = true;
    halt_reason_ = "trap loop: " + std::to_string(traps_without_progress_) +
                   " traps without an instruction retiring, starting with " +
                   where(first_trap_.cause, first_trap_.epc, first_trap_.tval) + "; the handler at mtvec " + hex(mtvec_, 8) +
                   " cannot run: " + where(cause, epc, tval);
  } else if (trap_storm_ > config_.trap_storm_limit) {
    halted_ = true;
    halt_reason_ = "trap storm: " + std::to_string(trap_storm_) + " traps in a row, each within " +
                   std::to_string(config_.trap_storm_window) +
                   " instructions of the one before and none returning (mret): the trap handler at mtvec " + hex(mtvec_, 8) +
                   " keeps trapping, last " + where(cause, epc, tval);
  }
}

// --- CSRs -----------------------------------------------------------------------------------

uint64_t Hart::time() const {
  // The platform timer's MTIME at this cycle: ticks = cycles x period x rate.
  const unsigned __int128 ticks = static_cast<unsigned __int128>(cycles_) * config_.period_ps * config_.timer_hz;
  return static_cast<uint64_t>(ticks / 1000000000000ull);
}

bool Hart::read_csr(uint16_t csr, uint32_t& value) const {
  switch (csr) {
    case kMstatus: value = (mstatus_ & kMstatusWritable) | kMstatusMpp; return true;
    case kMstatush: value = 0; return true;
    case kMisa: value = misa_; return true;
    case kMie: value = mie_; return true;
    case kMip: value = mip_; return true;
    case kMtvec: value = mtvec_; return true;
    case kMscratch: value = mscratch_; return true;
    case kMepc: value = mepc_ & ~ialign_mask_; return true;
    case kMcause: value = mcause_; return true;
    case kMtval: value = mtval_; return true;
    case kMcycle: case kCycle: value = static_cast<uint32_t>(mcycle()); return true;
    case kMcycleh: case kCycleh: value = static_cast<uint32_t>(mcycle() >> 32); return true;
    case kMinstret: case kInstret: value = static_cast<uint32_t>(minstret()); return true;
    case kMinstreth: case kInstreth: value = static_cast<uint32_t>(minstret() >> 32); return true;
    case kTime: value = static_cast<uint32_t>(time()); return true;
    case kTimeh: value = static_cast<uint32_t>(time() >> 32); return true;
    case kMhartid: value = config_.hart_id; return true;
    case kMvendorid: case kMarchid: case kMimpid: case kMconfigptr: case kMcountinhibit: value = 0; return true;
    default: break;
  }
  // Performance-monitoring counters and events exist but count nothing.
  if (in_range(csr, kMhpmcounter3, kMhpmcounter31) || in_range(csr, kMhpmcounter3h, kMhpmcounter31h) ||
      in_range(csr, kHpmcounter3, kHpmcounter31) || in_range(csr, kHpmcounter3h, kHpmcounter31h) ||
      in_range(csr, kMhpmevent3, kMhpmevent31)) {
    value = 0;
    return true;
  }
  return false;
}

bool Hart::write_csr(uint16_t csr, uint32_t value, uint32_t pc) {
  switch (csr) {
    case kMstatus: mstatus_ = value & kMstatusWritable; return true;
    case kMisa: set_c_extension(value & kMisaC, pc); return true;
    case kMie: mie_ = value & kMieWritable; return true;
    case kMtvec: mtvec_ = (value & 3) >= 2 ? value & ~3u : value; return true;  // modes 2, 3 reserved: direct
    case kMscratch: mscratch_ = value; return true;
    case kMepc: mepc_ = value & ~1u; return true;
    case kMcause: mcause_ = value; return true;
    case kMtval: mtval_ = value; return true;
    case kMcycle: mcycle_offset_ = ((mcycle() & ~uint64_t{0xffffffff}) | value) - cycles_; return true;
    case kMcycleh: mcycle_offset_ = ((mcycle() & 0xffffffffull) | (uint64_t{value} << 32)) - cycles_; return true;
    // minstret: the next instruction reads the value written (this one's retirement is not added).
    case kMinstret: minstret_offset_ = ((minstret() & ~uint64_t{0xffffffff}) | value) - (instret_ + 1); return true;
    case kMinstreth: minstret_offset_ = ((minstret() & 0xffffffffull) | (uint64_t{value} << 32)) - (instret_ + 1); return true;
    case kMip: case kMstatush: case kMcountinhibit: return true;  // no writable bits
    default: break;
  }
  return in_range(csr, kMhpmcounter3, kMhpmcounter31) || in_range(csr, kMhpmcounter3h, kMhpmcounter31h) ||
         in_range(csr, kMhpmevent3, kMhpmevent31);
}

// misa.C is writable. Clearing it is ignored when the next instruction would be misaligned
// (privileged spec 3.1.1); any change re-decodes (compressed encodings become legal or illegal).
void Hart::set_c_extension(bool enabled, uint32_t pc) {
  if (enabled == ((misa_ & kMisaC) != 0)) return;
  if (!enabled && ((pc + 4) & 2)) return;
  misa_ = enabled ? misa_ | kMisaC : misa_ & ~kMisaC;
  ialign_mask_ = enabled ? 0 : 2;
  flush_decode_cache();
}

// CSRRW/CSRRS/CSRRC and their immediate forms. CSRRS/CSRRC with x0 (or uimm 0) do not write, so
// they may read read-only CSRs; any write to a read-only or absent CSR is illegal.
bool Hart::csr_instruction(const Decoded d, uint32_t pc) {  // a copy: writing misa flushes the cache
  const bool immediate = d.op >= kCsrrwi;
  const uint32_t source = immediate ? static_cast<uint32_t>(d.imm) : x_[d.rs1];
  const Op base = static_cast<Op>(immediate ? d.op - (kCsrrwi - kCsrrw) : d.op);
  const bool writes = base == kCsrrw || (immediate ? d.imm != 0 : d.rs1 != 0);
  uint32_t old = 0;
  if (!read_csr(d.csr, old) || (writes && read_only(d.csr))) {
    illegal_instruction(pc);
    return false;
  }
  if (writes) {
    const uint32_t value = base == kCsrrw ? source : base == kCsrrs ? old | source : old & ~source;
    if (!write_csr(d.csr, value, pc)) {
      illegal_instruction(pc);
      return false;
    }
  }
  x_[d.rd] = old;
  return true;
}

}  // namespace dlvp::rv32
