// Bit fields as data (ip/common/regdef.h): the checks every *_regs.h static_asserts refuse a field
// outside its register, a field naming no register and two fields sharing a bit; the constants the
// models and drivers use are the fields' masks and shifts.
#include "ip/common/regdef.h"

#include "ip/dma/dma_regs.h"
#include "ip/ifu/ifu_regs.h"
#include "ip/lstm/lstm_regs.h"
#include "ip/periph/uart_regs.h"

#include <gtest/gtest.h>

using namespace dlvp;

namespace {

#define TEST_REGISTERS(REG)                      \
  REG(CTRL, 0x00, 4, 0, RW, "a 32-bit register") \
  REG(COUNT, 0x08, 8, 0, RO, "a 64-bit register")
constexpr regs::RegDef kTestRegisters[] = {TEST_REGISTERS(DLVP_REG_DEF_ENTRY)};

#define GOOD_FIELDS(FIELD)                          \
  FIELD(CTRL, START, 0, 1, REG, "start")            \
  FIELD(CTRL, MODE, 1, 3, RW, "mode")               \
  FIELD(CTRL, TOP, 31, 1, RO, "the last bit")       \
  FIELD(COUNT, HIGH, 32, 32, REG, "the upper half") \
  FIELD(COUNT, LOW, 0, 32, REG, "the lower half")
constexpr regs::FieldDef kGood[] = {GOOD_FIELDS(DLVP_FIELD_DEF_ENTRY)};
enum GoodField : uint32_t { GOOD_FIELDS(DLVP_FIELD_ID_ENUM) };

// One bit past the 32-bit register.
constexpr regs::FieldDef kPastTheEnd[] = {{"CTRL", "WIDE", 30, 3, regs::FieldAccess::REG, "bits 30..32"}};
// Names no register of the list.
constexpr regs::FieldDef kNoRegister[] = {{"CONTROL", "START", 0, 1, regs::FieldAccess::REG, "typo"}};
// No bits at all.
constexpr regs::FieldDef kEmpty[] = {{"CTRL", "NONE", 4, 0, regs::FieldAccess::REG, "zero width"}};
// MODE (bits 1..3) and FLAG (bit 3) share bit 3.
constexpr regs::FieldDef kOverlapping[] = {{"CTRL", "MODE", 1, 3, regs::FieldAccess::REG, "mode"},
                                           {"CTRL", "FLAG", 3, 1, regs::FieldAccess::REG, "flag"}};
// The same bits in two registers do not overlap.
constexpr regs::FieldDef kTwoRegisters[] = {{"CTRL", "A", 0, 8, regs::FieldAccess::REG, "a"},
                                            {"COUNT", "A", 0, 8, regs::FieldAccess::REG, "a"}};

}  // namespace

// The static_asserts of the *_regs.h headers use these; a bad list stops the build there.
static_assert(regs::fields_inside_registers(kTestRegisters, kGood) && regs::fields_disjoint(kGood));
static_assert(!regs::fields_inside_registers(kTestRegisters, kPastTheEnd));
static_assert(!regs::fields_disjoint(kOverlapping));

TEST(RegDefFields, AFieldOutsideItsRegisterIsRefused) {
  EXPECT_TRUE(regs::fields_inside_registers(kTestRegisters, kGood));
  EXPECT_FALSE(regs::fields_inside_registers(kTestRegisters, kPastTheEnd));
  EXPECT_FALSE(regs::fields_inside_registers(kTestRegisters, kNoRegister));
  EXPECT_FALSE(regs::fields_inside_registers(kTestRegisters, kEmpty));
}

TEST(RegDefFields, FieldsSharingABitAreRefused) {
  EXPECT_TRUE(regs::fields_disjoint(kGood));
  EXPECT_FALSE(regs::fields_disjoint(kOverlapping));
  EXPECT_TRUE(regs::fields_disjoint(kTwoRegisters));
}

TEST(RegDefFields, MasksAndShiftsComeFromOffsetAndWidth) {
  EXPECT_EQ(regs::field_mask(kGood[CTRL_START]), 0x1u);
  EXPECT_EQ(regs::field_mask(kGood[CTRL_MODE]), 0xEu);
  EXPECT_EQ(regs::field_shift(kGood[CTRL_MODE]), 1u);
  EXPECT_EQ(regs::field_mask(kGood[CTRL_TOP]), 0x80000000u);
  EXPECT_EQ(regs::field_mask(kGood[COUNT_HIGH]), 0xFFFFFFFF00000000u);
  EXPECT_EQ(regs::field_mask(kGood[COUNT_LOW]), 0xFFFFFFFFu);
}

// The names the models and drivers use are the lists' fields.
TEST(RegDefFields, DriverConstantsAreTheFieldsOfTheLists) {
  EXPECT_EQ(ifu::kCtrlStart, 1u << 0);
  EXPECT_EQ(ifu::kCtrlErrorIrqEnable, 1u << 2);
  EXPECT_EQ(ifu::kStatusDone, 1u << 1);
  EXPECT_EQ(dma::kCtrlDstSpace, 1u << 3);
  EXPECT_EQ(dma::kStatusError, 1u << 2);
  EXPECT_EQ(uart::kRxEmpty, 1u << 31);
  EXPECT_EQ(uart::kRxDataMask, 0xFFu);
  EXPECT_EQ(uart::kStatusRxEnded, 1u << 3);
  EXPECT_EQ(lstm_regs::kStreamErrorPeShift, 16u);
  EXPECT_EQ(ifu::kFieldDefs[ifu::STATUS_BUSY].access, regs::FieldAccess::RO);  // in a W1C register
}
