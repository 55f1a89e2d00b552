#include "rv32_hart.h"

#include "ip/cpu/rv32_decode.h"

#include <algorithm>

namespace dlvp::rv32 {

Hart::Hart(const HartConfig& config, Bus& bus)
    : config_(config),
      bus_(bus),
      branch_penalty_(config.cycles.branch_penalty),
      ram_base_(config.ram_base),
      ram_size_(config.ram_size & ~3u),
      line_shift_(0),
      icache_(config.icache),
      dcache_(config.dcache) {
  const uint32_t pages = (ram_size_ + kPageBytes - 1) / kPageBytes;
  pages_.resize(pages);
  page_flags_.assign(pages, 0);
  line_shift_ = icache_.line_shift();
  reset(ram_base_);
}

void Hart::reset(uint32_t pc) {
  std::fill(std::begin(x_), std::end(x_), 0u);
  pc_ = pc;
  mstatus_ = 0;
  misa_ = kMisaValue;
  ialign_mask_ = 0;
  mie_ = mip_ = mtvec_ = mscratch_ = mepc_ = mcause_ = mtval_ = 0;
  mcycle_offset_ = minstret_offset_ = 0;
  reserved_ = false;
  halted_ = false;
  halt_reason_.clear();
  traps_without_progress_ = trap_storm_ = 0;
  last_trap_instret_ = ~uint64_t{0};
  mret_since_trap_ = true;
  fetch_line_ = kNoLine;
}

void Hart::set_ram_pointer(uint8_t* ram) {
  ram_ = ram;
  dmi_limit_ = ram ? ram_size_ : 0;
  inline_limit_ = watch_loads_ ? 0 : dmi_limit_;
}

void Hart::set_interrupt_lines(bool external, bool timer) {
  mip_ = (external ? kMipMeip : 0) | (timer ? kMipMtip : 0);
}

void Hart::watch_tohost(uint32_t address) {
  const uint32_t offset = address - ram_base_;
  if (offset >= ram_size_ || (address & 3)) return;
  tohost_offset_ = offset;
  page_flags_[offset >> kPageShift] |= kWatchPage;
}

Stop Hart::run() { return execute<false>(); }
Stop Hart::step() { return execute<true>(); }

// The interpreter, as threaded code: every handler ends by looking up the next instruction's
// decoded entry and jumping straight to its handler (with GCC and Clang, labels as values: one
// indirect jump per handler; other compilers use the switch). The hot state — pc, the cycle and
// instruction counts, the budget, the fetch line and its page, the DMI window — lives in locals
// the compiler keeps in registers; DLVP_OUT_OF_LINE writes them back to the members around every
// call that may read or change them (slow memory paths, traps, CSRs, decoding).
//   DLVP_NEXT(n)    the instruction retired: continue at pc + n
//   DLVP_TAKEN(t)   control transfer to t (alignment checked), then the budget check
//   DLVP_RAISE      the instruction raised an exception (exception() has set pc_ to the handler)
#if defined(__GNUC__)
#define DLVP_DISPATCH goto* kHandlers[d->op]
#define DLVP_CASE(name) \
  case name:            \
  handler_##name
#else
#define DLVP_DISPATCH goto dispatch
#define DLVP_CASE(name) case name
#endif
#define DLVP_OUT_OF_LINE(statement) \
  do {                              \
    cycles_ = cycles;               \
    instret_ = instret;             \
    pc_ = pc;                       \
    fetch_line_ = fetch_line;       \
    statement;                      \
    cycles = cycles_;               \
    instret = instret_;             \
    budget_end = budget_end_;       \
    fetch_line = fetch_line_;       \
    page = page_;                   \
    ram = ram_;                     \
    inline_limit = inline_limit_;   \
    ialign_mask = ialign_mask_;     \
  } while (0)
#define DLVP_FETCH_AND_DISPATCH                          \
  if ((pc >> line_shift) != fetch_line) goto new_line;   \
  d = page + ((pc & (kPageBytes - 1)) >> 1);             \
  cycles += d->cycles;                                   \
  DLVP_DISPATCH
#define DLVP_NEXT(length)          \
  do {                             \
    pc += (length);                \
    ++instret;                     \
    if (kSingleStep) goto stepped; \
    DLVP_FETCH_AND_DISPATCH;       \
  } while (0)
#define DLVP_TAKEN(target)                       \
  do {                                           \
    pc = (target);                               \
    ++instret;                                   \
    if (kSingleStep) goto stepped;               \
    if (cycles >= budget_end) goto out_of_budget; \
    DLVP_FETCH_AND_DISPATCH;                     \
  } while (0)
#define DLVP_RAISE goto redirect
#define DLVP_CHECK_TARGET(target)                                              \
  if ((target) & ialign_mask) {                                                \
    DLVP_OUT_OF_LINE(exception(kInstructionMisaligned, (target), pc));         \
    DLVP_RAISE;                                                                \
  }
#define DLVP_BRANCH(condition)                \
  do {                                        \
    if (condition) {                          \
      const uint32_t target_ = pc + d->imm;   \
      DLVP_CHECK_TARGET(target_);             \
      cycles += branch_penalty;               \
      DLVP_TAKEN(target_);                    \
    }                                         \
    DLVP_NEXT(d->length);                     \
  } while (0)
// Loads and stores: the common case (aligned, in RAM through DMI, the L1's most recently used
// line of its set) inline; everything else in load_any / store_any.
#define DLVP_LOAD(type, convert)                                                                     \
  do {                                                                                               \
    const uint32_t address_ = x_[d->rs1] + d->imm, offset_ = address_ - ram_base;                    \
    type value_;                                                                                     \
    if (!(address_ & (sizeof(type) - 1)) && offset_ < inline_limit &&                                \
        dcache_.hits_most_recent(address_ >> line_shift, false)) {                                   \
      std::memcpy(&value_, ram + offset_, sizeof(type));                                             \
      ++stats_.loads;                                                                                \
    } else {                                                                                         \
      Access result_;                                                                                \
      DLVP_OUT_OF_LINE(result_ = load_any(address_, &value_, sizeof(type), pc));                     \
      if (result_ == Access::trap) DLVP_RAISE;                                                       \
      if (result_ == Access::watch) {                                                                \
        x_[d->rd] = convert(value_);                                                                 \
        DLVP_STOP_AFTER(d->length, Stop::watchpoint);                                                \
      }                                                                                              \
    }                                                                                                \
    x_[d->rd] = convert(value_);                                                                     \
    DLVP_NEXT(d->length);                                                                            \
  } while (0)
#define DLVP_STORE(type)                                                                             \
  do {                                                                                               \
    const uint32_t address_ = x_[d->rs1] + d->imm, offset_ = address_ - ram_base;                    \
    const uint32_t length_ = d->length; /* the store may overwrite *d */                            \
    const type value_ = static_cast<type>(x_[d->rs2]);                                               \
    if (!(address_ & (sizeof(type) - 1)) && offset_ < inline_limit && !page_flags[offset_ >> kPageShift] && \
        dcache_.hits_most_recent(address_ >> line_shift, true)) {                                    \
      std::memcpy(ram + offset_, &value_, sizeof(type));                                             \
      ++stats_.stores;                                                                               \
    } else {                                                                                         \
      Access result_;                                                                                \
      DLVP_OUT_OF_LINE(result_ = store_any(address_, &value_, sizeof(type), pc));                    \
      DLVP_STORE_RESULT(result_, length_);                                                           \
    }                                                                                                \
    DLVP_NEXT(length_);                                                                              \
  } while (0)
// The instruction retired, and the run stops after it (a tohost write, a watchpoint).
#define DLVP_STOP_AFTER(length, why) \
  do {                               \
    pc += (length);                  \
    ++instret;                       \
    stop = (why);                    \
    goto out;                        \
  } while (0)
#define DLVP_STORE_RESULT(result, length)                                                  \
  do {                                                                                     \
    if ((result) != Access::ok) {                                                          \
      if ((result) == Access::trap) DLVP_RAISE;                                            \
      DLVP_STOP_AFTER(length, (result) == Access::tohost ? Stop::tohost : Stop::watchpoint); \
    }                                                                                      \
  } while (0)
// LR/SC and AMOs are out of line (they are rare); the entry is copied: the store may overwrite it.
#define DLVP_ATOMIC                                         \
  do {                                                      \
    const Decoded copy_ = *d;                               \
    Access result_;                                         \
    DLVP_OUT_OF_LINE(result_ = atomic(copy_, pc));          \
    DLVP_STORE_RESULT(result_, copy_.length);               \
    DLVP_NEXT(copy_.length);                                \
  } while (0)

template <bool kSingleStep>
Stop Hart::execute() {
#if defined(__GNUC__)
#define DLVP_HANDLER_ADDRESS(name) &&handler_##name,
  static const void* const kHandlers[kOpCount] = {DLVP_RV32_OPS(DLVP_HANDLER_ADDRESS)};
#undef DLVP_HANDLER_ADDRESS
#endif
  if (halted_) return Stop::halted;
  if (interrupt_ready()) {
    take_interrupt(pc_);
    if (halted_) return Stop::halted;
  }
  // Hot state (see DLVP_OUT_OF_LINE).
  uint32_t pc = pc_;
  uint64_t cycles = cycles_, instret = instret_, budget_end = budget_end_;
  uint32_t fetch_line = fetch_line_;
  Decoded* page = page_;
  uint8_t* ram = ram_;
  uint32_t inline_limit = inline_limit_, ialign_mask = ialign_mask_;
  const uint32_t ram_base = ram_base_, branch_penalty = branch_penalty_;
  const unsigned line_shift = line_shift_, lines_per_page_shift = kPageShift - line_shift_;
  const uint8_t* const page_flags = page_flags_.data();
  Stop stop = Stop::budget;
  Decoded* d = nullptr;

new_line:
  if ((pc >> line_shift) != fetch_line) {
    if (!kSingleStep && cycles >= budget_end) goto out_of_budget;
    const uint32_t line = pc >> line_shift;
    if (page && (line >> lines_per_page_shift) == (fetch_line >> lines_per_page_shift) &&
        icache_.hits_most_recent(line, false)) {
      fetch_line = line;  // the common case: same page, an L1 hit
    } else {
      bool entered;
      DLVP_OUT_OF_LINE(entered = enter_line(pc));
      if (!entered) DLVP_RAISE;
    }
  }
  d = page + ((pc & (kPageBytes - 1)) >> 1);
  cycles += d->cycles;
#if defined(__GNUC__)
  DLVP_DISPATCH;
#else
dispatch:
#endif
  switch (d->op) {
    DLVP_CASE(kDecode): {
      bool decoded;
      DLVP_OUT_OF_LINE(decoded = fill_entry(pc, *d));
      if (!decoded) DLVP_RAISE;
      cycles += d->cycles;
      DLVP_DISPATCH;
    }
    DLVP_CASE(kIllegal):
      DLVP_OUT_OF_LINE(exception(kIllegalInstruction, static_cast<uint32_t>(d->imm), pc));
      DLVP_RAISE;

    DLVP_CASE(kLui): x_[d->rd] = static_cast<uint32_t>(d->imm); DLVP_NEXT(d->length);
    DLVP_CASE(kAuipc): x_[d->rd] = pc + d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kJal): {
      const uint32_t target = pc + d->imm;
      DLVP_CHECK_TARGET(target);
      x_[d->rd] = pc + d->length;
      DLVP_TAKEN(target);
    }
    DLVP_CASE(kJalr): {
      const uint32_t target = (x_[d->rs1] + d->imm) & ~1u;
      DLVP_CHECK_TARGET(target);
      x_[d->rd] = pc + d->length;
      DLVP_TAKEN(target);
    }
    DLVP_CASE(kBeq): DLVP_BRANCH(x_[d->rs1] == x_[d->rs2]);
    DLVP_CASE(kBne): DLVP_BRANCH(x_[d->rs1] != x_[d->rs2]);
    DLVP_CASE(kBlt): DLVP_BRANCH(static_cast<int32_t>(x_[d->rs1]) < static_cast<int32_t>(x_[d->rs2]));
    DLVP_CASE(kBge): DLVP_BRANCH(static_cast<int32_t>(x_[d->rs1]) >= static_cast<int32_t>(x_[d->rs2]));
    DLVP_CASE(kBltu): DLVP_BRANCH(x_[d->rs1] < x_[d->rs2]);
    DLVP_CASE(kBgeu): DLVP_BRANCH(x_[d->rs1] >= x_[d->rs2]);

    DLVP_CASE(kLb): DLVP_LOAD(uint8_t, [](uint8_t v) { return static_cast<uint32_t>(static_cast<int8_t>(v)); });
    DLVP_CASE(kLh): DLVP_LOAD(uint16_t, [](uint16_t v) { return static_cast<uint32_t>(static_cast<int16_t>(v)); });
    DLVP_CASE(kLw): DLVP_LOAD(uint32_t, static_cast<uint32_t>);
    DLVP_CASE(kLbu): DLVP_LOAD(uint8_t, static_cast<uint32_t>);
    DLVP_CASE(kLhu): DLVP_LOAD(uint16_t, static_cast<uint32_t>);
    DLVP_CASE(kSb): DLVP_STORE(uint8_t);
    DLVP_CASE(kSh): DLVP_STORE(uint16_t);
    DLVP_CASE(kSw): DLVP_STORE(uint32_t);

    DLVP_CASE(kAddi): x_[d->rd] = x_[d->rs1] + d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kSlti): x_[d->rd] = static_cast<int32_t>(x_[d->rs1]) < d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kSltiu): x_[d->rd] = x_[d->rs1] < static_cast<uint32_t>(d->imm); DLVP_NEXT(d->length);
    DLVP_CASE(kXori): x_[d->rd] = x_[d->rs1] ^ d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kOri): x_[d->rd] = x_[d->rs1] | d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kAndi): x_[d->rd] = x_[d->rs1] & d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kSlli): x_[d->rd] = x_[d->rs1] << d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kSrli): x_[d->rd] = x_[d->rs1] >> d->imm; DLVP_NEXT(d->length);
    DLVP_CASE(kSrai): x_[d->rd] = static_cast<uint32_t>(static_cast<int32_t>(x_[d->rs1]) >> d->imm); DLVP_NEXT(d->length);

    DLVP_CASE(kAdd): x_[d->rd] = x_[d->rs1] + x_[d->rs2]; DLVP_NEXT(d->length);
    DLVP_CASE(kSub): x_[d->rd] = x_[d->rs1] - x_[d->rs2]; DLVP_NEXT(d->length);
    DLVP_CASE(kSll): x_[d->rd] = x_[d->rs1] << (x_[d->rs2] & 31); DLVP_NEXT(d->length);
    DLVP_CASE(kSlt): x_[d->rd] = static_cast<int32_t>(x_[d->rs1]) < static_cast<int32_t>(x_[d->rs2]); DLVP_NEXT(d->length);
    DLVP_CASE(kSltu): x_[d->rd] = x_[d->rs1] < x_[d->rs2]; DLVP_NEXT(d->length);
    DLVP_CASE(kXor): x_[d->rd] = x_[d->rs1] ^ x_[d->rs2]; DLVP_NEXT(d->length);
    DLVP_CASE(kSrl): x_[d->rd] = x_[d->rs1] >> (x_[d->rs2] & 31); DLVP_NEXT(d->length);
    DLVP_CASE(kSra): x_[d->rd] = static_cast<uint32_t>(static_cast<int32_t>(x_[d->rs1]) >> (x_[d->rs2] & 31)); DLVP_NEXT(d->length);
    DLVP_CASE(kOr): x_[d->rd] = x_[d->rs1] | x_[d->rs2]; DLVP_NEXT(d->length);
    DLVP_CASE(kAnd): x_[d->rd] = x_[d->rs1] & x_[d->rs2]; DLVP_NEXT(d->length);

    DLVP_CASE(kMul): x_[d->rd] = x_[d->rs1] * x_[d->rs2]; DLVP_NEXT(d->length);
    DLVP_CASE(kMulh): {
      const int64_t product = int64_t{static_cast<int32_t>(x_[d->rs1])} * static_cast<int32_t>(x_[d->rs2]);
      x_[d->rd] = static_cast<uint32_t>(static_cast<uint64_t>(product) >> 32);
      DLVP_NEXT(d->length);
    }
    DLVP_CASE(kMulhsu): {
      const int64_t product = int64_t{static_cast<int32_t>(x_[d->rs1])} * int64_t{x_[d->rs2]};
      x_[d->rd] = static_cast<uint32_t>(static_cast<uint64_t>(product) >> 32);
      DLVP_NEXT(d->length);
    }
    DLVP_CASE(kMulhu): x_[d->rd] = static_cast<uint32_t>((uint64_t{x_[d->rs1]} * x_[d->rs2]) >> 32); DLVP_NEXT(d->length);
    DLVP_CASE(kDiv): {
      const auto a = static_cast<int32_t>(x_[d->rs1]), b = static_cast<int32_t>(x_[d->rs2]);
      // Division by zero gives -1; the overflow INT_MIN / -1 gives INT_MIN (no trap).
      x_[d->rd] = b == 0 ? ~0u : (b == -1 ? 0u - static_cast<uint32_t>(a) : static_cast<uint32_t>(a / b));
      DLVP_NEXT(d->length);
    }
    DLVP_CASE(kDivu): {
      const uint32_t a = x_[d->rs1], b = x_[d->rs2];
      x_[d->rd] = b == 0 ? ~0u : a / b;
      DLVP_NEXT(d->length);
    }
    DLVP_CASE(kRem): {
      const auto a = static_cast<int32_t>(x_[d->rs1]), b = static_cast<int32_t>(x_[d->rs2]);
      // Remainder by zero gives the dividend; INT_MIN % -1 gives 0.
      x_[d->rd] = b == 0 ? static_cast<uint32_t>(a) : (b == -1 ? 0u : static_cast<uint32_t>(a % b));
      DLVP_NEXT(d->length);
    }
    DLVP_CASE(kRemu): {
      const uint32_t a = x_[d->rs1], b = x_[d->rs2];
      x_[d->rd] = b == 0 ? a : a % b;
      DLVP_NEXT(d->length);
    }

    DLVP_CASE(kLrW): DLVP_CASE(kScW): DLVP_CASE(kAmoswapW): DLVP_CASE(kAmoaddW): DLVP_CASE(kAmoxorW):
    DLVP_CASE(kAmoandW): DLVP_CASE(kAmoorW): DLVP_CASE(kAmominW): DLVP_CASE(kAmomaxW): DLVP_CASE(kAmominuW):
    DLVP_CASE(kAmomaxuW):
      DLVP_ATOMIC;

    DLVP_CASE(kFence): DLVP_NEXT(d->length);
    DLVP_CASE(kFenceI): {
      const uint32_t length = d->length;
      ++stats_.fence_i;
      DLVP_OUT_OF_LINE(flush_decode_cache());  // *d is gone
      DLVP_NEXT(length);
    }
    DLVP_CASE(kEcall):
      DLVP_OUT_OF_LINE(exception(kEcallFromM, 0, pc));
      DLVP_RAISE;
    DLVP_CASE(kEbreak):
      DLVP_OUT_OF_LINE(exception(kBreakpoint, pc, pc));
      DLVP_RAISE;
    DLVP_CASE(kMret):
      ++instret;
      DLVP_OUT_OF_LINE(mret());
      DLVP_RAISE;
    DLVP_CASE(kWfi):
      ++stats_.wfi;
      if (!interrupt_waiting()) {
        pc += d->length;
        ++instret;
        stop = Stop::wfi;
        goto out;
      }
      DLVP_NEXT(d->length);
    DLVP_CASE(kCsrrw): DLVP_CASE(kCsrrs): DLVP_CASE(kCsrrc): DLVP_CASE(kCsrrwi): DLVP_CASE(kCsrrsi): DLVP_CASE(kCsrrci): {
      const Decoded copy = *d;  // a write to misa flushes the decode cache
      bool done;
      DLVP_OUT_OF_LINE(done = csr_instruction(copy, pc));
      if (!done) DLVP_RAISE;
      if (interrupt_ready()) {  // the write may have enabled a pending interrupt
        ++instret;
        DLVP_OUT_OF_LINE(take_interrupt(pc + copy.length));
        DLVP_RAISE;
      }
      DLVP_NEXT(copy.length);
    }
#if !defined(__GNUC__)
    default:
      DLVP_OUT_OF_LINE(exception(kIllegalInstruction, 0, pc));
      DLVP_RAISE;
#endif
  }

redirect:
  // A trap or mret has set pc_ (and the out-of-line call has brought the locals up to date).
  pc = pc_;
  fetch_line = fetch_line_ = kNoLine;
  if (halted_) {
    stop = Stop::halted;
    goto out;
  }
  if (kSingleStep) goto stepped;
  goto new_line;
stepped:
  stop = Stop::step;
  goto out;
out_of_budget:
  stop = Stop::budget;
out:
  pc_ = pc;
  cycles_ = cycles;
  instret_ = instret;
  fetch_line_ = fetch_line;
  return stop;
}

#undef DLVP_DISPATCH
#undef DLVP_CASE
#undef DLVP_OUT_OF_LINE
#undef DLVP_FETCH_AND_DISPATCH
#undef DLVP_NEXT
#undef DLVP_TAKEN
#undef DLVP_RAISE
#undef DLVP_CHECK_TARGET
#undef DLVP_BRANCH
#undef DLVP_LOAD
#undef DLVP_STORE
#undef DLVP_STORE_RESULT
#undef DLVP_STOP_AFTER
#undef DLVP_ATOMIC

template Stop Hart::execute<false>();
template Stop Hart::execute<true>();

// --- fetch and decode -----------------------------------------------------------------------

bool Hart::enter_line(uint32_t pc) {
  const uint32_t offset = pc - ram_base_;
  if (offset >= ram_size_) {  // only RAM is executable
    exception(kInstructionAccessFault, pc, pc);
    return false;
  }
  const uint32_t page = offset >> kPageShift;
  page_ = pages_[page] ? pages_[page].get() : allocate_page(page);
  fetch_line_ = pc >> line_shift_;
  if (!icache_.hits_most_recent(fetch_line_, false) && !icache_.access(fetch_line_, false).hit) {
    ++stats_.icache_fills;
    cycles_ += bus_.line_transfer(fetch_line_ << line_shift_, icache_.line_bytes(), false);
  }
  return true;
}

Decoded* Hart::allocate_page(uint32_t page) {
  pages_[page] = std::make_unique<Decoded[]>(kEntriesPerPage);  // all kDecode
  allocated_pages_.push_back(page);
  page_flags_[page] |= kCodePage;
  return pages_[page].get();
}

bool Hart::read_code(uint32_t address, uint16_t& half) {
  const uint32_t offset = address - ram_base_;
  if (offset >= ram_size_ || ram_size_ - offset < 2) return false;
  if (ram_) {
    std::memcpy(&half, ram_ + offset, 2);
    return true;
  }
  return bus_.peek(address, &half, 2);
}

bool Hart::fetch_bits(uint32_t pc, uint32_t& bits, uint32_t& fault_address) {
  uint16_t low = 0, high = 0;
  if (!read_code(pc, low)) {
    fault_address = pc;
    return false;
  }
  if (instruction_length(low) == 2) {
    bits = low;
    return true;
  }
  if (!read_code(pc + 2, high)) {
    fault_address = pc + 2;
    return false;
  }
  bits = low | (uint32_t{high} << 16);
  return true;
}

bool Hart::fill_entry(uint32_t pc, Decoded& entry) {
  uint32_t bits = 0, fault_address = 0;
  if (!fetch_bits(pc, bits, fault_address)) {
    exception(kInstructionAccessFault, fault_address, pc);
    return false;
  }
  Decoded d = decode(bits);
  if (d.length == 2 && !(misa_ & kMisaC)) {  // C disabled: compressed encodings are illegal
    d = Decoded{};
    d.op = kIllegal;
    d.imm = static_cast<int32_t>(bits & 0xffff);
    d.length = 2;
  }
  d.cycles = cycles_of(d, pc);
  entry = d;
  ++stats_.decoded;
  // An instruction straddling a page boundary: stores to the next page must find it too.
  const uint32_t offset = pc - ram_base_;
  if ((offset & (kPageBytes - 1)) + d.length > kPageBytes && (offset >> kPageShift) + 1 < page_flags_.size())
    page_flags_[(offset >> kPageShift) + 1] |= kCodePage;
  return true;
}

// The base cost of an instruction (docs/cpu.md). A load pays the load-use stall when the next
// instruction (in the same page, known now) reads its result.
uint8_t Hart::cycles_of(const Decoded& d, uint32_t pc) {
  const CycleModel& m = config_.cycles;
  uint32_t cycles = 1;
  switch (d.op) {
    case kJal: case kJalr: case kMret: case kFenceI: cycles = 1 + m.branch_penalty; break;
    case kMul: case kMulh: case kMulhsu: case kMulhu: cycles = m.mul; break;
    case kDiv: case kDivu: case kRem: case kRemu: cycles = m.div; break;
    case kSb: case kSh: case kSw: cycles = m.memory; break;
    case kScW: cycles = m.memory; break;
    case kAmoswapW: case kAmoaddW: case kAmoxorW: case kAmoandW: case kAmoorW:
    case kAmominW: case kAmomaxW: case kAmominuW: case kAmomaxuW: cycles = 2 * m.memory; break;
    case kLb: case kLh: case kLw: case kLbu: case kLhu: case kLrW: {
      cycles = m.memory;
      const uint32_t next = pc + d.length;
      uint32_t bits = 0, unused = 0;
      if (d.rd != kSinkRegister && ((next ^ pc) >> kPageShift) == 0 && fetch_bits(next, bits, unused) &&
          reads_register(decode(bits), d.rd))
        cycles += m.load_use;
      break;
    }
    default: break;
  }
  return static_cast<uint8_t>(std::min<uint32_t>(cycles, 255));
}

void Hart::flush_decode_cache() {
  for (uint32_t page : allocated_pages_) {
    pages_[page].reset();
  }
  allocated_pages_.clear();
  for (uint8_t& flags : page_flags_) flags &= static_cast<uint8_t>(~kCodePage);
  page_ = nullptr;
  fetch_line_ = kNoLine;
}

void Hart::invalidate_code(uint32_t address, uint32_t size) {
  const uint32_t offset = address - ram_base_;
  if (offset >= ram_size_ || size == 0) return;
  invalidate_entries(offset, std::min(size, ram_size_ - offset));
}

// Forgets the entries of instructions that overlap [offset, offset + size): those starting in the
// range and a 4-byte one starting 2 bytes before it.
void Hart::invalidate_entries(uint32_t offset, uint32_t size) {
  const uint32_t first = (offset & ~1u) >= 2 ? (offset & ~1u) - 2 : 0;
  for (uint32_t at = first; at < offset + size; at += 2) {
    Decoded* page = pages_[at >> kPageShift].get();
    if (!page) continue;
    Decoded& entry = page[(at & (kPageBytes - 1)) >> 1];
    if (entry.op == kDecode) continue;
    entry = Decoded{};
    ++stats_.invalidated;
  }
}

// --- data memory (slow paths) ---------------------------------------------------------------

void Hart::dcache_access(uint32_t address, bool write) {
  const uint32_t line = address >> line_shift_;
  if (dcache_.hits_most_recent(line, write)) return;
  const Cache::Outcome outcome = dcache_.access(line, write);
  if (outcome.hit) return;
  const unsigned bytes = dcache_.line_bytes();
  if (outcome.write_back) {
    ++stats_.dcache_write_backs;
    cycles_ += bus_.line_transfer(outcome.victim_line << line_shift_, bytes, true);
  }
  ++stats_.dcache_fills;
  cycles_ += bus_.line_transfer(line << line_shift_, bytes, false);
}

// Every load the interpreter does not finish inline: misaligned (trap), L1 misses, RAM without
// DMI and devices (through the bus; a bus error is an access fault).
Hart::Access Hart::load_any(uint32_t address, void* value, unsigned size, uint32_t pc) {
  if (address & (size - 1)) {
    if (config_.emulate_misaligned) return misaligned_access(address, value, size, false, pc);
    exception(kLoadMisaligned, address, pc);
    return Access::trap;
  }
  const uint32_t offset = address - ram_base_;
  if (offset < dmi_limit_) {
    dcache_access(address, false);
    ++stats_.loads;
    std::memcpy(value, ram_ + offset, size);
  } else {
    ++stats_.uncached_loads;
    if (!bus_.read(address, value, size)) {
      exception(kLoadAccessFault, address, pc);
      return Access::trap;
    }
  }
  return watch_loads_ && watched(address, size, false) ? Access::watch : Access::ok;
}

Hart::Access Hart::store_any(uint32_t address, const void* value, unsigned size, uint32_t pc) {
  if (address & (size - 1)) {
    if (config_.emulate_misaligned) return misaligned_access(address, const_cast<void*>(value), size, true, pc);
    exception(kStoreMisaligned, address, pc);
    return Access::trap;
  }
  const uint32_t offset = address - ram_base_;
  if (offset < dmi_limit_) {
    dcache_access(address, true);
    ++stats_.stores;
    std::memcpy(ram_ + offset, value, size);
  } else {
    ++stats_.uncached_stores;
    if (!bus_.write(address, value, size)) {
      exception(kStoreAccessFault, address, pc);
      return Access::trap;
    }
  }
  Access result = Access::ok;
  if (offset < ram_size_ && page_flags_[offset >> kPageShift]) result = after_ram_store(offset, size);
  if (result == Access::ok && watch_stores_ && watched(address, size, true)) result = Access::watch;
  return result;
}

// cpu.misaligned: emulate. A misaligned load or store to RAM is done as two accesses, one on each
// side of the naturally aligned boundary it crosses, each through the L1 like an aligned access;
// the second costs one more L1 access. Device registers take aligned accesses only: an access
// fault (mtval: the address). So is a second part beyond RAM (mtval: its first byte); a store then
// writes neither part. The value is read from (written to) `value` only as a whole.
Hart::Access Hart::misaligned_access(uint32_t address, void* value, unsigned size, bool write, uint32_t pc) {
  const uint32_t offset = address - ram_base_;
  const unsigned first = size - (address & (size - 1));  // bytes up to the boundary
  const uint32_t fault = write ? kStoreAccessFault : kLoadAccessFault;
  if (offset >= ram_size_ || ram_size_ - offset < size) {
    exception(fault, offset >= ram_size_ ? address : address + first, pc);
    return Access::trap;
  }
  uint8_t* bytes = static_cast<uint8_t*>(value);
  ram_part(address, bytes, first, write);
  ram_part(address + first, bytes + first, size - first, write);
  cycles_ += config_.cycles.memory;
  ++stats_.misaligned_emulated;
  Access result = Access::ok;
  if (write) {  // both parts invalidate decoded code; the first that stops the run decides
    for (const uint32_t part : {offset, offset + first}) {
      if (!page_flags_[part >> kPageShift]) continue;
      const Access after = after_ram_store(part, part == offset ? first : size - first);
      if (result == Access::ok) result = after;
    }
  }
  const bool watching = write ? watch_stores_ : watch_loads_;
  if (result == Access::ok && watching && watched(address, size, write)) result = Access::watch;
  return result;
}

// One part of a misaligned access, inside RAM and inside one aligned word.
void Hart::ram_part(uint32_t address, uint8_t* bytes, unsigned size, bool write) {
  const uint32_t offset = address - ram_base_;
  if (offset < dmi_limit_) {
    dcache_access(address, write);
    ++(write ? stats_.stores : stats_.loads);
    if (write) std::memcpy(ram_ + offset, bytes, size);
    else std::memcpy(bytes, ram_ + offset, size);
    return;
  }
  // RAM without DMI: byte accesses, each aligned (RAM answers them all).
  for (unsigned i = 0; i < size; ++i) {
    ++(write ? stats_.uncached_stores : stats_.uncached_loads);
    if (write) bus_.write(address + i, bytes + i, 1);
    else bus_.read(address + i, bytes + i, 1);
  }
}

// A store to a page holding decoded code or the tohost word.
Hart::Access Hart::after_ram_store(uint32_t offset, unsigned size) {
  const uint8_t flags = page_flags_[offset >> kPageShift];
  if (flags & kCodePage) invalidate_entries(offset, size);
  if ((flags & kWatchPage) && offset < tohost_offset_ + 4 && tohost_offset_ < offset + size) {
    uint32_t value = 0;
    if (ram_) std::memcpy(&value, ram_ + tohost_offset_, 4);
    else bus_.peek(ram_base_ + tohost_offset_, &value, 4);
    if (value != 0) {
      tohost_value_ = value;
      return Access::tohost;
    }
  }
  return Access::ok;
}

// LR/SC and AMOs: naturally aligned, and only on main memory (devices have no atomics, as their
// physical-memory attributes allow).
Hart::Access Hart::atomic(const Decoded& d, uint32_t pc) {
  const uint32_t address = x_[d.rs1], operand = x_[d.rs2];
  const bool is_lr = d.op == kLrW;
  if (address & 3) {
    exception(is_lr ? kLoadMisaligned : kStoreMisaligned, address, pc);
    return Access::trap;
  }
  if (address - ram_base_ >= ram_size_) {
    exception(is_lr ? kLoadAccessFault : kStoreAccessFault, address, pc);
    return Access::trap;
  }
  if (d.op == kScW) {
    const bool succeeds = reserved_ && reservation_ == address;
    reserved_ = false;
    if (succeeds) {
      const Access result = store_any(address, &operand, 4, pc);
      if (result == Access::trap) return result;
      x_[d.rd] = 0;
      return result;
    }
    x_[d.rd] = 1;
    return Access::ok;
  }
  uint32_t old = 0;
  const Access loaded = load_any(address, &old, 4, pc);
  if (loaded == Access::trap) return loaded;
  if (is_lr) {
    reservation_ = address;
    reserved_ = true;
    x_[d.rd] = old;
    return loaded;
  }
  uint32_t value = operand;
  switch (d.op) {
    case kAmoaddW: value = old + operand; break;
    case kAmoxorW: value = old ^ operand; break;
    case kAmoandW: value = old & operand; break;
    case kAmoorW: value = old | operand; break;
    case kAmominW: value = static_cast<int32_t>(old) < static_cast<int32_t>(operand) ? old : operand; break;
    case kAmomaxW: value = static_cast<int32_t>(old) > static_cast<int32_t>(operand) ? old : operand; break;
    case kAmominuW: value = old < operand ? old : operand; break;
    case kAmomaxuW: value = old > operand ? old : operand; break;
    default: break;  // kAmoswapW
  }
  const Access result = store_any(address, &value, 4, pc);
  if (result != Access::trap) x_[d.rd] = old;
  return result == Access::ok ? loaded : result;  // a watched load stops after the store too
}

// --- watchpoints ----------------------------------------------------------------------------

bool Hart::add_watchpoint(const Watchpoint& w) {
  if (watchpoints_.size() >= kMaxWatchpoints || w.length == 0) return false;
  watchpoints_.push_back(w);
  update_watch_state();
  return true;
}

bool Hart::remove_watchpoint(const Watchpoint& w) {
  const auto it = std::find(watchpoints_.begin(), watchpoints_.end(), w);
  if (it == watchpoints_.end()) return false;
  watchpoints_.erase(it);
  update_watch_state();
  return true;
}

void Hart::clear_watchpoints() {
  watchpoints_.clear();
  update_watch_state();
}

// Which accesses must leave the inline paths: all of them while a load may hit (read, access),
// and stores to the RAM pages of write and access watchpoints (the inline store checks page_flags_).
void Hart::update_watch_state() {
  watch_loads_ = watch_stores_ = false;
  for (uint8_t& flags : page_flags_) flags &= static_cast<uint8_t>(~kDataWatchPage);
  for (const Watchpoint& w : watchpoints_) {
    watch_loads_ |= w.kind != WatchKind::write;
    if (w.kind == WatchKind::read) continue;
    watch_stores_ = true;
    // The RAM pages the range covers (it may start below RAM or run past its end).
    const uint64_t begin = std::max<uint64_t>(w.address, ram_base_);
    const uint64_t end = std::min<uint64_t>(uint64_t{w.address} + w.length, uint64_t{ram_base_} + ram_size_);
    for (uint64_t at = begin; at < end; at = ((at >> kPageShift) + 1) << kPageShift)
      page_flags_[(at - ram_base_) >> kPageShift] |= kDataWatchPage;
  }
  inline_limit_ = watch_loads_ ? 0 : dmi_limit_;
}

bool Hart::watched(uint32_t address, unsigned size, bool write) {
  const uint64_t begin = address, end = begin + size;
  for (const Watchpoint& w : watchpoints_) {
    if (w.kind == (write ? WatchKind::read : WatchKind::write)) continue;
    if (begin < uint64_t{w.address} + w.length && w.address < end) {
      watch_hit_ = WatchHit{w.kind, std::max(address, w.address)};
      return true;
    }
  }
  return false;
}

}  // namespace dlvp::rv32
