// The decoder: compressed instructions expand to their 32-bit operation, immediates of every
// format, and every reserved encoding is illegal. Encodings are written by hand from the
// specification's instruction formats (and agree with GNU as).
#include "ip/cpu/rv32_decode.h"

#include <gtest/gtest.h>

#include <random>

using namespace dlvp::rv32;

namespace {

struct Expansion {
  uint32_t bits;
  Op op;
  unsigned rd, rs1, rs2;
  int32_t imm;
  const char* text;
};

void expect_decodes(const Expansion& e, unsigned length) {
  const Decoded d = decode(e.bits);
  SCOPED_TRACE(e.text);
  EXPECT_EQ(d.op, e.op);
  EXPECT_EQ(d.rd, e.rd == 0 ? kSinkRegister : e.rd);
  EXPECT_EQ(d.rs1, e.rs1);
  EXPECT_EQ(d.rs2, e.rs2);
  EXPECT_EQ(d.imm, e.imm);
  EXPECT_EQ(d.length, length);
  EXPECT_EQ(instruction_length(e.bits & 0xffff), length);
}

}  // namespace

TEST(Rv32Decode, CompressedInstructionsExpand) {
  const Expansion cases[] = {
      {0x0808, kAddi, 10, 2, 0, 16, "c.addi4spn a0, sp, 16"},
      {0x41c8, kLw, 10, 11, 0, 4, "c.lw a0, 4(a1)"},
      {0xc1b0, kSw, 0, 11, 12, 64, "c.sw a2, 64(a1)"},
      {0x557d, kAddi, 10, 0, 0, -1, "c.li a0, -1"},
      {0x7501, kLui, 10, 0, 0, static_cast<int32_t>(0xfffe0000), "c.lui a0, 0xfffe0"},
      {0x7139, kAddi, 2, 2, 0, -64, "c.addi16sp sp, -64"},
      {0xa011, kJal, 0, 0, 0, 4, "c.j .+4"},
      {0x3ffd, kJal, 1, 0, 0, -2, "c.jal .-2"},
      {0xd001, kBeq, 0, 8, 0, -256, "c.beqz s0, .-256"},
      {0xeffd, kBne, 0, 15, 0, 254, "c.bnez a5, .+254"},
      {0x817d, kSrli, 10, 10, 0, 31, "c.srli a0, 31"},
      {0x8505, kSrai, 10, 10, 0, 1, "c.srai a0, 1"},
      {0x9901, kAndi, 10, 10, 0, -32, "c.andi a0, -32"},
      {0x8c05, kSub, 8, 8, 9, 0, "c.sub s0, s1"},
      {0x8d6d, kAnd, 10, 10, 11, 0, "c.and a0, a1"},
      {0x0506, kSlli, 10, 10, 0, 1, "c.slli a0, 1"},
      {0x4092, kLw, 1, 2, 0, 4, "c.lwsp ra, 4(sp)"},
      {0xc406, kSw, 0, 2, 1, 8, "c.swsp ra, 8(sp)"},
      {0x8082, kJalr, 0, 1, 0, 0, "c.jr ra"},
      {0x852e, kAdd, 10, 0, 11, 0, "c.mv a0, a1"},
      {0x9002, kEbreak, 0, 0, 0, 0, "c.ebreak"},
      {0x9582, kJalr, 1, 11, 0, 0, "c.jalr a1"},
      {0x952e, kAdd, 10, 10, 11, 0, "c.add a0, a1"},
      {0x0001, kAddi, 0, 0, 0, 0, "c.nop"},
  };
  for (const Expansion& e : cases) expect_decodes(e, 2);
}

TEST(Rv32Decode, ImmediatesOfEveryFormat) {
  const Expansion cases[] = {
      {0x80b50063, kBeq, 0, 10, 11, -4096, "beq a0, a1, .-4096 (B)"},
      {0xffdff0ef, kJal, 1, 0, 0, -4, "jal ra, .-4 (J)"},
      {0xfeb52fa3, kSw, 0, 10, 11, -1, "sw a1, -1(a0) (S)"},
      {0x80058513, kAddi, 10, 11, 0, -2048, "addi a0, a1, -2048 (I)"},
      {0xfffff537, kLui, 10, 0, 0, static_cast<int32_t>(0xfffff000), "lui a0, 0xfffff (U)"},
      {0x00b50533, kAdd, 10, 10, 11, 0, "add a0, a0, a1 (R)"},
      {0x41f55513, kSrai, 10, 10, 0, 31, "srai a0, a0, 31"},
  };
  for (const Expansion& e : cases) expect_decodes(e, 4);
}

TEST(Rv32Decode, SystemAndCsrInstructions) {
  EXPECT_EQ(decode(0x00000073).op, kEcall);
  EXPECT_EQ(decode(0x00100073).op, kEbreak);
  EXPECT_EQ(decode(0x30200073).op, kMret);
  EXPECT_EQ(decode(0x10500073).op, kWfi);
  EXPECT_EQ(decode(0x0000100f).op, kFenceI);
  EXPECT_EQ(decode(0x0ff0000f).op, kFence);
  EXPECT_EQ(decode(0x8330000f).op, kFence);  // fence.tso
  const Decoded rw = decode(0x34059573);     // csrrw a0, mscratch, a1
  EXPECT_EQ(rw.op, kCsrrw);
  EXPECT_EQ(rw.csr, 0x340);
  EXPECT_EQ(rw.rd, 10);
  EXPECT_EQ(rw.rs1, 11);
  const Decoded si = decode(0x30046573);  // csrrsi a0, mstatus, 8: the uimm, no source register
  EXPECT_EQ(si.op, kCsrrsi);
  EXPECT_EQ(si.csr, 0x300);
  EXPECT_EQ(si.rs1, 0);
  EXPECT_EQ(si.imm, 8);
  EXPECT_EQ(decode(0x1005a52f).op, kLrW);
}

TEST(Rv32Decode, ReservedEncodingsAreIllegal) {
  const uint32_t compressed[] = {
      0x0000,  // all zeros
      0x0004,  // c.addi4spn, nzuimm = 0
      0x6501,  // c.lui a0, 0
      0x6101,  // c.addi16sp sp, 0
      0x4002,  // c.lwsp x0
      0x8002,  // c.jr x0
      0x1502,  // c.slli a0, shamt[5] = 1
      0x9101,  // c.srli, shamt[5] = 1
      0x9501,  // c.srai, shamt[5] = 1
      0x9c01,  // c.subw (RV64)
      0x9c21,  // c.addw (RV64)
      0x9c41,  // reserved CA
      0x2000, 0x6000, 0xa000, 0xe000,  // c.fld, c.flw, c.fsd, c.fsw
      0x2002, 0x6082, 0xa002, 0xe002,  // c.fldsp, c.flwsp, c.fsdsp, c.fswsp
      0x8000,  // quadrant 0, funct3 4
  };
  for (uint32_t bits : compressed) {
    const Decoded d = decode(bits);
    EXPECT_EQ(d.op, kIllegal) << std::hex << bits;
    EXPECT_EQ(d.length, 2) << std::hex << bits;
    EXPECT_EQ(static_cast<uint32_t>(d.imm), bits) << std::hex << bits;  // mtval
  }
  const uint32_t full[] = {
      0x02051513,  // slli a0, a0, 32 (shamt[5])
      0x0205d513,  // srli with funct7 1
      0x4205d513,  // srai, shamt[5]
      0x40b54533,  // xor with funct7 0x20
      0x10200073,  // sret
      0x00200073,  // uret
      0x12000073,  // sfence.vma
      0x00004073,  // SYSTEM funct3 4
      0x1015a52f,  // lr.w with rs2 != 0
      0x0005b52f,  // amoadd.d
      0x00002063,  // branch funct3 2
      0x0005b503,  // ld
      0x00a5b023,  // sd
      0x0000200f,  // MISC-MEM funct3 2
      0x00059567,  // jalr funct3 1
      0x0000001f,  // 48-bit prefix
      0x0000000b,  // custom-0
      0x00003007,  // fld
      0x00000053,  // OP-FP
      0xffffffff,
  };
  for (uint32_t bits : full) {
    const Decoded d = decode(bits);
    EXPECT_EQ(d.op, kIllegal) << std::hex << bits;
    EXPECT_EQ(static_cast<uint32_t>(d.imm), bits) << std::hex << bits;
  }
}

// Every 16-bit pattern and a million random 32-bit ones decode to something sane.
TEST(Rv32Decode, AnyBitsDecodeSafely) {
  auto check = [](uint32_t bits) {
    const Decoded d = decode(bits);
    ASSERT_LT(d.op, kOpCount);
    ASSERT_NE(d.op, kDecode);
    ASSERT_TRUE(d.rd >= 1 && d.rd <= kSinkRegister) << std::hex << bits;
    ASSERT_LT(d.rs1, 32);
    ASSERT_LT(d.rs2, 32);
    ASSERT_EQ(d.length, instruction_length(bits & 0xffff));
  };
  for (uint32_t h = 0; h < 0x10000; ++h)
    if ((h & 3) != 3) check(h);
  std::mt19937 random(7);
  for (int i = 0; i < 1000000; ++i) check(random() | 3);
}
