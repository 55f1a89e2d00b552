#include "rv32_decode.h"

namespace dlvp::rv32 {
namespace {

constexpr uint32_t field(uint32_t v, unsigned hi, unsigned lo) { return (v >> lo) & ((1u << (hi - lo + 1)) - 1); }
constexpr uint32_t bit(uint32_t v, unsigned n) { return (v >> n) & 1u; }
// Sign-extends the low `width` bits of v.
constexpr int32_t sext(uint32_t v, unsigned width) {
  const uint32_t sign = 1u << (width - 1);
  v &= (sign << 1) - 1;
  return static_cast<int32_t>((v ^ sign) - sign);
}

Decoded make(Op op, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm, unsigned length) {
  Decoded d;
  d.op = op;
  d.rd = rd == 0 ? kSinkRegister : static_cast<uint8_t>(rd);
  d.rs1 = static_cast<uint8_t>(rs1);
  d.rs2 = static_cast<uint8_t>(rs2);
  d.imm = imm;
  d.length = static_cast<uint8_t>(length);
  return d;
}

Decoded illegal(uint32_t bits, unsigned length) {
  return make(kIllegal, 0, 0, 0, static_cast<int32_t>(length == 2 ? bits & 0xffffu : bits), length);
}

// --- 32-bit encodings -----------------------------------------------------------------------

int32_t imm_i(uint32_t r) { return static_cast<int32_t>(r) >> 20; }
int32_t imm_s(uint32_t r) { return sext((field(r, 31, 25) << 5) | field(r, 11, 7), 12); }
int32_t imm_b(uint32_t r) {
  return sext((bit(r, 31) << 12) | (bit(r, 7) << 11) | (field(r, 30, 25) << 5) | (field(r, 11, 8) << 1), 13);
}
int32_t imm_j(uint32_t r) {
  return sext((bit(r, 31) << 20) | (field(r, 19, 12) << 12) | (bit(r, 20) << 11) | (field(r, 30, 21) << 1), 21);
}

Decoded decode_op_imm(uint32_t r, unsigned rd, unsigned f3, unsigned rs1) {
  const uint32_t f7 = r >> 25;
  const unsigned shamt = field(r, 24, 20);  // shamt[5] is bit 25, part of f7: must be 0 on RV32
  switch (f3) {
    case 0: return make(kAddi, rd, rs1, 0, imm_i(r), 4);
    case 2: return make(kSlti, rd, rs1, 0, imm_i(r), 4);
    case 3: return make(kSltiu, rd, rs1, 0, imm_i(r), 4);
    case 4: return make(kXori, rd, rs1, 0, imm_i(r), 4);
    case 6: return make(kOri, rd, rs1, 0, imm_i(r), 4);
    case 7: return make(kAndi, rd, rs1, 0, imm_i(r), 4);
    case 1: return f7 == 0 ? make(kSlli, rd, rs1, 0, static_cast<int32_t>(shamt), 4) : illegal(r, 4);
    default:  // 5
      if (f7 == 0) return make(kSrli, rd, rs1, 0, static_cast<int32_t>(shamt), 4);
      if (f7 == 0x20) return make(kSrai, rd, rs1, 0, static_cast<int32_t>(shamt), 4);
      return illegal(r, 4);
  }
}

Decoded decode_op(uint32_t r, unsigned rd, unsigned f3, unsigned rs1, unsigned rs2) {
  static constexpr Op kBase[8] = {kAdd, kSll, kSlt, kSltu, kXor, kSrl, kOr, kAnd};
  static constexpr Op kMulDiv[8] = {kMul, kMulh, kMulhsu, kMulhu, kDiv, kDivu, kRem, kRemu};
  const uint32_t f7 = r >> 25;
  if (f7 == 0) return make(kBase[f3], rd, rs1, rs2, 0, 4);
  if (f7 == 1) return make(kMulDiv[f3], rd, rs1, rs2, 0, 4);
  if (f7 == 0x20 && f3 == 0) return make(kSub, rd, rs1, rs2, 0, 4);
  if (f7 == 0x20 && f3 == 5) return make(kSra, rd, rs1, rs2, 0, 4);
  return illegal(r, 4);
}

Decoded decode_system(uint32_t r, unsigned rd, unsigned f3, unsigned rs1) {
  if (f3 == 0) {
    switch (r) {
      case 0x00000073: return make(kEcall, 0, 0, 0, 0, 4);
      case 0x00100073: return make(kEbreak, 0, 0, 0, 0, 4);
      case 0x30200073: return make(kMret, 0, 0, 0, 0, 4);
      case 0x10500073: return make(kWfi, 0, 0, 0, 0, 4);
      default: return illegal(r, 4);  // sret, sfence.vma, ...: no S or U mode
    }
  }
  static constexpr Op kCsrOps[8] = {kIllegal, kCsrrw, kCsrrs, kCsrrc, kIllegal, kCsrrwi, kCsrrsi, kCsrrci};
  if (kCsrOps[f3] == kIllegal) return illegal(r, 4);
  // Immediate forms carry the 5-bit uimm in the rs1 field; they read no register.
  Decoded d = f3 >= 5 ? make(kCsrOps[f3], rd, 0, 0, static_cast<int32_t>(rs1), 4) : make(kCsrOps[f3], rd, rs1, 0, 0, 4);
  d.csr = static_cast<uint16_t>(r >> 20);
  return d;
}

Decoded decode_amo(uint32_t r, unsigned rd, unsigned f3, unsigned rs1, unsigned rs2) {
  if (f3 != 2) return illegal(r, 4);  // only .W on RV32
  switch (r >> 27) {
    case 0x02: return rs2 == 0 ? make(kLrW, rd, rs1, 0, 0, 4) : illegal(r, 4);
    case 0x03: return make(kScW, rd, rs1, rs2, 0, 4);
    case 0x01: return make(kAmoswapW, rd, rs1, rs2, 0, 4);
    case 0x00: return make(kAmoaddW, rd, rs1, rs2, 0, 4);
    case 0x04: return make(kAmoxorW, rd, rs1, rs2, 0, 4);
    case 0x0c: return make(kAmoandW, rd, rs1, rs2, 0, 4);
    case 0x08: return make(kAmoorW, rd, rs1, rs2, 0, 4);
    case 0x10: return make(kAmominW, rd, rs1, rs2, 0, 4);
    case 0x14: return make(kAmomaxW, rd, rs1, rs2, 0, 4);
    case 0x18: return make(kAmominuW, rd, rs1, rs2, 0, 4);
    case 0x1c: return make(kAmomaxuW, rd, rs1, rs2, 0, 4);
    default: return illegal(r, 4);
  }
}

Decoded decode32(uint32_t r) {
  if ((r & 0x1c) == 0x1c) return illegal(r, 4);  // 48-bit and longer encodings
  const unsigned rd = field(r, 11, 7), f3 = field(r, 14, 12), rs1 = field(r, 19, 15), rs2 = field(r, 24, 20);
  switch (r & 0x7f) {
    case 0x37: return make(kLui, rd, 0, 0, static_cast<int32_t>(r & 0xfffff000u), 4);
    case 0x17: return make(kAuipc, rd, 0, 0, static_cast<int32_t>(r & 0xfffff000u), 4);
    case 0x6f: return make(kJal, rd, 0, 0, imm_j(r), 4);
    case 0x67: return f3 == 0 ? make(kJalr, rd, rs1, 0, imm_i(r), 4) : illegal(r, 4);
    case 0x63: {
      static constexpr Op kBranch[8] = {kBeq, kBne, kIllegal, kIllegal, kBlt, kBge, kBltu, kBgeu};
      return kBranch[f3] == kIllegal ? illegal(r, 4) : make(kBranch[f3], 0, rs1, rs2, imm_b(r), 4);
    }
    case 0x03: {
      static constexpr Op kLoad[8] = {kLb, kLh, kLw, kIllegal, kLbu, kLhu, kIllegal, kIllegal};
      return kLoad[f3] == kIllegal ? illegal(r, 4) : make(kLoad[f3], rd, rs1, 0, imm_i(r), 4);
    }
    case 0x23: {
      static constexpr Op kStore[8] = {kSb, kSh, kSw, kIllegal, kIllegal, kIllegal, kIllegal, kIllegal};
      return kStore[f3] == kIllegal ? illegal(r, 4) : make(kStore[f3], 0, rs1, rs2, imm_s(r), 4);
    }
    case 0x13: return decode_op_imm(r, rd, f3, rs1);
    case 0x33: return decode_op(r, rd, f3, rs1, rs2);
    case 0x0f:
      // FENCE (any predecessor/successor set, FENCE.TSO and PAUSE included) and FENCE.I.
      if (f3 == 0) return make(kFence, 0, 0, 0, 0, 4);
      if (f3 == 1) return make(kFenceI, 0, 0, 0, 0, 4);
      return illegal(r, 4);
    case 0x73: return decode_system(r, rd, f3, rs1);
    case 0x2f: return decode_amo(r, rd, f3, rs1, rs2);
    default: return illegal(r, 4);
  }
}

// --- compressed encodings (RV32C) -----------------------------------------------------------

unsigned creg(uint32_t three_bits) { return 8 + three_bits; }  // rd', rs1', rs2': x8..x15

Decoded decode_q0(uint32_t h) {
  const unsigned rd_p = creg(field(h, 4, 2)), rs1_p = creg(field(h, 9, 7));
  const int32_t mem_offset = static_cast<int32_t>((field(h, 12, 10) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6));
  switch (field(h, 15, 13)) {
    case 0: {  // C.ADDI4SPN; nzuimm = 0 (including the all-zero instruction) is illegal
      const uint32_t imm = (field(h, 12, 11) << 4) | (field(h, 10, 7) << 6) | (bit(h, 6) << 2) | (bit(h, 5) << 3);
      return imm ? make(kAddi, rd_p, 2, 0, static_cast<int32_t>(imm), 2) : illegal(h, 2);
    }
    case 2: return make(kLw, rd_p, rs1_p, 0, mem_offset, 2);     // C.LW
    case 6: return make(kSw, 0, rs1_p, rd_p, mem_offset, 2);     // C.SW (rs2' in bits 4:2)
    default: return illegal(h, 2);  // C.FLD, C.FLW, C.FSD, C.FSW (no F/D), reserved
  }
}

Decoded decode_q1_arith(uint32_t h) {
  const unsigned rd_p = creg(field(h, 9, 7)), rs2_p = creg(field(h, 4, 2));
  const unsigned shamt = field(h, 6, 2);
  switch (field(h, 11, 10)) {
    case 0: return bit(h, 12) ? illegal(h, 2) : make(kSrli, rd_p, rd_p, 0, static_cast<int32_t>(shamt), 2);
    case 1: return bit(h, 12) ? illegal(h, 2) : make(kSrai, rd_p, rd_p, 0, static_cast<int32_t>(shamt), 2);
    case 2: return make(kAndi, rd_p, rd_p, 0, sext((bit(h, 12) << 5) | shamt, 6), 2);
    default: {
      if (bit(h, 12)) return illegal(h, 2);  // C.SUBW / C.ADDW are RV64 only
      static constexpr Op kOps[4] = {kSub, kXor, kOr, kAnd};
      return make(kOps[field(h, 6, 5)], rd_p, rd_p, rs2_p, 0, 2);
    }
  }
}

Decoded decode_q1(uint32_t h) {
  const unsigned rd = field(h, 11, 7);
  const int32_t imm6 = sext((bit(h, 12) << 5) | field(h, 6, 2), 6);
  const int32_t jump_offset = sext((bit(h, 12) << 11) | (bit(h, 11) << 4) | (field(h, 10, 9) << 8) | (bit(h, 8) << 10) |
                                       (bit(h, 7) << 6) | (bit(h, 6) << 7) | (field(h, 5, 3) << 1) | (bit(h, 2) << 5),
                                   12);
  const int32_t branch_offset = sext((bit(h, 12) << 8) | (field(h, 11, 10) << 3) | (field(h, 6, 5) << 6) |
                                         (field(h, 4, 3) << 1) | (bit(h, 2) << 5),
                                     9);
  switch (field(h, 15, 13)) {
    case 0: return make(kAddi, rd, rd, 0, imm6, 2);  // C.ADDI, C.NOP (and their hints)
    case 1: return make(kJal, 1, 0, 0, jump_offset, 2);  // C.JAL
    case 2: return make(kAddi, rd, 0, 0, imm6, 2);   // C.LI
    case 3:
      if (rd == 2) {  // C.ADDI16SP
        const int32_t imm = sext((bit(h, 12) << 9) | (bit(h, 6) << 4) | (bit(h, 5) << 6) | (field(h, 4, 3) << 7) |
                                     (bit(h, 2) << 5),
                                 10);
        return imm ? make(kAddi, 2, 2, 0, imm, 2) : illegal(h, 2);
      } else {  // C.LUI
        const int32_t imm = sext((bit(h, 12) << 17) | (field(h, 6, 2) << 12), 18);
        return imm ? make(kLui, rd, 0, 0, imm, 2) : illegal(h, 2);
      }
    case 4: return decode_q1_arith(h);
    case 5: return make(kJal, 0, 0, 0, jump_offset, 2);  // C.J
    case 6: return make(kBeq, 0, creg(field(h, 9, 7)), 0, branch_offset, 2);  // C.BEQZ
    default: return make(kBne, 0, creg(field(h, 9, 7)), 0, branch_offset, 2);  // C.BNEZ
  }
}

Decoded decode_q2(uint32_t h) {
  const unsigned rd = field(h, 11, 7), rs2 = field(h, 6, 2);
  switch (field(h, 15, 13)) {
    case 0:  // C.SLLI
      return bit(h, 12) ? illegal(h, 2) : make(kSlli, rd, rd, 0, static_cast<int32_t>(rs2), 2);
    case 2: {  // C.LWSP; rd = x0 is reserved
      const uint32_t offset = (bit(h, 12) << 5) | (field(h, 6, 4) << 2) | (field(h, 3, 2) << 6);
      return rd ? make(kLw, rd, 2, 0, static_cast<int32_t>(offset), 2) : illegal(h, 2);
    }
    case 4:
      if (!bit(h, 12)) {
        if (rs2 == 0) return rd ? make(kJalr, 0, rd, 0, 0, 2) : illegal(h, 2);  // C.JR (x0 reserved)
        return make(kAdd, rd, 0, rs2, 0, 2);                                     // C.MV
      }
      if (rs2 == 0) return rd ? make(kJalr, 1, rd, 0, 0, 2) : make(kEbreak, 0, 0, 0, 0, 2);  // C.JALR, C.EBREAK
      return make(kAdd, rd, rd, rs2, 0, 2);  // C.ADD
    case 6: {  // C.SWSP
      const uint32_t offset = (field(h, 12, 9) << 2) | (field(h, 8, 7) << 6);
      return make(kSw, 0, 2, rs2, static_cast<int32_t>(offset), 2);
    }
    default: return illegal(h, 2);  // C.FLDSP, C.FLWSP, C.FSDSP, C.FSWSP
  }
}

}  // namespace

Decoded decode(uint32_t bits) {
  switch (bits & 3) {
    case 0: return decode_q0(bits & 0xffff);
    case 1: return decode_q1(bits & 0xffff);
    case 2: return decode_q2(bits & 0xffff);
    default: return decode32(bits);
  }
}

const char* cause_name(uint32_t mcause) {
  if (mcause & kInterruptBit) {
    switch (mcause & ~kInterruptBit) {
      case kMachineSoftwareInterrupt: return "machine software interrupt";
      case kMachineTimerInterrupt: return "machine timer interrupt";
      case kMachineExternalInterrupt: return "machine external interrupt";
      default: return "interrupt";
    }
  }
  switch (mcause) {
    case kInstructionMisaligned: return "instruction address misaligned";
    case kInstructionAccessFault: return "instruction access fault";
    case kIllegalInstruction: return "illegal instruction";
    case kBreakpoint: return "breakpoint";
    case kLoadMisaligned: return "load address misaligned";
    case kLoadAccessFault: return "load access fault";
    case kStoreMisaligned: return "store/AMO address misaligned";
    case kStoreAccessFault: return "store/AMO access fault";
    case kEcallFromM: return "environment call from M-mode";
    default: return "exception";
  }
}

}  // namespace dlvp::rv32
