// Facts of the RISC-V ISA the instruction-set simulator implements (RV32IMAC + Zicsr + Zifencei,
// machine mode only): the decoded-instruction format, the operation codes the decoder produces,
// CSR numbers, trap causes and status bits. Numbers are those of the unprivileged and privileged
// specifications (20191213 / 20211203).
#pragma once
#include <cstdint>

namespace dlvp::rv32 {

// Operations after decoding. Compressed instructions decode to the operation of their 32-bit
// expansion (with length 2). kDecode (0) marks an entry of the decode cache not yet decoded, so a
// zero-filled page of entries is a page of "decode me" entries.
#define DLVP_RV32_OPS(X)                                                                          \
  X(kDecode) X(kIllegal)                                                                          \
  X(kLui) X(kAuipc) X(kJal) X(kJalr)                                                              \
  X(kBeq) X(kBne) X(kBlt) X(kBge) X(kBltu) X(kBgeu)                                               \
  X(kLb) X(kLh) X(kLw) X(kLbu) X(kLhu) X(kSb) X(kSh) X(kSw)                                       \
  X(kAddi) X(kSlti) X(kSltiu) X(kXori) X(kOri) X(kAndi) X(kSlli) X(kSrli) X(kSrai)                \
  X(kAdd) X(kSub) X(kSll) X(kSlt) X(kSltu) X(kXor) X(kSrl) X(kSra) X(kOr) X(kAnd)                 \
  X(kMul) X(kMulh) X(kMulhsu) X(kMulhu) X(kDiv) X(kDivu) X(kRem) X(kRemu)                         \
  X(kLrW) X(kScW) X(kAmoswapW) X(kAmoaddW) X(kAmoxorW) X(kAmoandW) X(kAmoorW) X(kAmominW)         \
  X(kAmomaxW) X(kAmominuW) X(kAmomaxuW)                                                           \
  X(kFence) X(kFenceI) X(kEcall) X(kEbreak) X(kMret) X(kWfi)                                      \
  X(kCsrrw) X(kCsrrs) X(kCsrrc) X(kCsrrwi) X(kCsrrsi) X(kCsrrci)
#define DLVP_RV32_OP_ENUM(name) name,
enum Op : uint8_t { DLVP_RV32_OPS(DLVP_RV32_OP_ENUM) kOpCount };
#undef DLVP_RV32_OP_ENUM

// Register index that receives writes to x0: the hart has 33 registers, x0 always reads 0, and
// an instruction "writing" x0 writes the sink instead, so no instruction tests rd == 0.
constexpr uint8_t kSinkRegister = 32;

// One decoded instruction (12 bytes), an entry of the decode cache.
struct Decoded {
  uint8_t op = kDecode;  // Op
  uint8_t rd = 0;        // destination (kSinkRegister for x0)
  uint8_t rs1 = 0;       // sources; 0 when the instruction reads none (so x0 never stalls)
  uint8_t rs2 = 0;
  int32_t imm = 0;       // immediate; CSR-immediate forms: the uimm; kIllegal: the instruction bits
  uint16_t csr = 0;      // CSR number of the Zicsr instructions
  uint8_t length = 0;    // 2 (compressed) or 4 bytes
  uint8_t cycles = 0;    // base cost in the cycle model (taken-branch and memory costs are added)
};
static_assert(sizeof(Decoded) == 12, "a decode-cache page is 2048 entries of 12 bytes");

// Trap causes (mcause; interrupts have bit 31 set).
enum Cause : uint32_t {
  kInstructionMisaligned = 0,
  kInstructionAccessFault = 1,
  kIllegalInstruction = 2,
  kBreakpoint = 3,
  kLoadMisaligned = 4,
  kLoadAccessFault = 5,
  kStoreMisaligned = 6,
  kStoreAccessFault = 7,
  kEcallFromM = 11,
};
constexpr uint32_t kInterruptBit = 0x80000000u;
constexpr uint32_t kMachineSoftwareInterrupt = 3;
constexpr uint32_t kMachineTimerInterrupt = 7;
constexpr uint32_t kMachineExternalInterrupt = 11;
const char* cause_name(uint32_t mcause);

// CSR numbers.
enum Csr : uint16_t {
  kMstatus = 0x300, kMisa = 0x301, kMie = 0x304, kMtvec = 0x305, kMstatush = 0x310,
  kMcountinhibit = 0x320, kMhpmevent3 = 0x323, kMhpmevent31 = 0x33f,
  kMscratch = 0x340, kMepc = 0x341, kMcause = 0x342, kMtval = 0x343, kMip = 0x344,
  kMcycle = 0xb00, kMinstret = 0xb02, kMhpmcounter3 = 0xb03, kMhpmcounter31 = 0xb1f,
  kMcycleh = 0xb80, kMinstreth = 0xb82, kMhpmcounter3h = 0xb83, kMhpmcounter31h = 0xb9f,
  kCycle = 0xc00, kTime = 0xc01, kInstret = 0xc02, kHpmcounter3 = 0xc03, kHpmcounter31 = 0xc1f,
  kCycleh = 0xc80, kTimeh = 0xc81, kInstreth = 0xc82, kHpmcounter3h = 0xc83, kHpmcounter31h = 0xc9f,
  kMvendorid = 0xf11, kMarchid = 0xf12, kMimpid = 0xf13, kMhartid = 0xf14, kMconfigptr = 0xf15,
};

// mstatus fields (machine mode only: MPP always reads 3).
constexpr uint32_t kMstatusMie = 1u << 3;
constexpr uint32_t kMstatusMpie = 1u << 7;
constexpr uint32_t kMstatusMpp = 3u << 11;
// mie / mip bits.
constexpr uint32_t kMipMsip = 1u << kMachineSoftwareInterrupt;
constexpr uint32_t kMipMtip = 1u << kMachineTimerInterrupt;
constexpr uint32_t kMipMeip = 1u << kMachineExternalInterrupt;
// misa: MXL = 1 (32-bit) and the extensions A, C, I, M. Only C is writable.
constexpr uint32_t kMisaC = 1u << ('C' - 'A');
constexpr uint32_t kMisaValue = (1u << 30) | (1u << ('A' - 'A')) | kMisaC | (1u << ('I' - 'A')) | (1u << ('M' - 'A'));

}  // namespace dlvp::rv32
