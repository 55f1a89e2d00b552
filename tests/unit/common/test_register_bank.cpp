#include "ip/common/register_bank.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

#define TEST_REGISTERS(REG)                                         \
  REG(CTRL, 0x00, 4, 0x5, RW, "control")                          \
  REG(STATUS, 0x04, 4, 0x0, W1C, "status bits, write 1 to clear") \
  REG(ID, 0x08, 4, 0xABCD1234, RO, "identifier")                  \
  REG(KICK, 0x0c, 4, 0x0, WO, "write-only trigger")               \
  REG(ADDR, 0x10, 8, 0x0, RW, "64-bit address")

enum : uint32_t { TEST_REGISTERS(DLVP_REG_OFFSET_ENUM) };
constexpr dlvp::regs::RegDef kRegs[] = {TEST_REGISTERS(DLVP_REG_DEF_ENTRY)};

struct Access {
  tlm::tlm_generic_payload trans;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  unsigned char data[16] = {};
  tlm::tlm_response_status run(dlvp::RegisterBank& bank, tlm::tlm_command cmd, uint64_t addr, unsigned len) {
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(data);
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    trans.set_byte_enable_ptr(nullptr);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    bank.b_transport(trans, delay);
    return trans.get_response_status();
  }
  uint32_t word() const { uint32_t v; std::memcpy(&v, data, 4); return v; }
  void set_word(uint32_t v) { std::memcpy(data, &v, 4); }
};

dlvp::RegisterBank make_bank() {
  dlvp::RegisterBank bank("test.regs", 0x100);
  bank.add_all(kRegs);
  return bank;
}

TEST(RegisterBank, ResetValuesAndReadOnly) {
  auto bank = make_bank();
  Access a;
  ASSERT_EQ(a.run(bank, tlm::TLM_READ_COMMAND, ID, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(a.word(), 0xABCD1234u);
  a.set_word(1);
  EXPECT_EQ(a.run(bank, tlm::TLM_WRITE_COMMAND, ID, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(bank.get(ID), 0xABCD1234u);
  EXPECT_EQ(bank.get(CTRL), 5u);
}

TEST(RegisterBank, UnmappedAccessIsAddressError) {
  auto bank = make_bank();
  Access a;
  EXPECT_EQ(a.run(bank, tlm::TLM_READ_COMMAND, 0x20, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(a.run(bank, tlm::TLM_READ_COMMAND, 0x1000, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  // Straddling the end of a mapped register into a hole: refused as a whole, nothing written.
  a.set_word(0xffffffff);
  EXPECT_EQ(a.run(bank, tlm::TLM_WRITE_COMMAND, ADDR + 6, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(bank.get(ADDR), 0u);
}

TEST(RegisterBank, PartialAndMisalignedAccess) {
  auto bank = make_bank();
  Access a;
  a.data[0] = 0xEF;
  a.data[1] = 0xBE;
  ASSERT_EQ(a.run(bank, tlm::TLM_WRITE_COMMAND, ADDR + 3, 2), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(bank.get(ADDR), uint64_t{0xBEEF} << 24);
  // A misaligned 8-byte read spanning CTRL and STATUS returns both registers' bytes.
  bank.set(STATUS, 0x11223344);
  ASSERT_EQ(a.run(bank, tlm::TLM_READ_COMMAND, CTRL + 2, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(a.data[0], 0x00);
  EXPECT_EQ(a.data[1], 0x00);
  EXPECT_EQ(a.data[2], 0x44);
  EXPECT_EQ(a.data[3], 0x33);
}

TEST(RegisterBank, WriteOneToClearAndHooks) {
  auto bank = make_bank();
  uint64_t seen_old = 99, seen_new = 99;
  int kicks = 0;
  bank.on_write(STATUS, [&](uint64_t o, uint64_t n) { seen_old = o; seen_new = n; });
  bank.on_write(KICK, [&](uint64_t, uint64_t) { ++kicks; });
  bank.on_read(ID, [](uint64_t stored) { return stored + 1; });
  bank.set(STATUS, 0b1011);
  Access a;
  a.set_word(0b0011);
  ASSERT_EQ(a.run(bank, tlm::TLM_WRITE_COMMAND, STATUS, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(seen_old, 0b1011u);
  EXPECT_EQ(seen_new, 0b1000u);
  ASSERT_EQ(a.run(bank, tlm::TLM_WRITE_COMMAND, KICK, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(kicks, 1);
  ASSERT_EQ(a.run(bank, tlm::TLM_READ_COMMAND, KICK, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(a.word(), 0u);  // write-only reads as zero
  ASSERT_EQ(a.run(bank, tlm::TLM_READ_COMMAND, ID, 4), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(a.word(), 0xABCD1235u);
}

TEST(RegisterBank, ByteEnablesAndStreamingWidth) {
  auto bank = make_bank();
  Access a;
  a.set_word(0xAABBCCDD);
  unsigned char enables[4] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
  a.trans.set_byte_enable_length(4);
  a.trans.set_command(tlm::TLM_WRITE_COMMAND);
  a.trans.set_address(CTRL);
  a.trans.set_data_ptr(a.data);
  a.trans.set_data_length(4);
  a.trans.set_streaming_width(4);
  a.trans.set_byte_enable_ptr(enables);
  bank.b_transport(a.trans, a.delay);
  ASSERT_EQ(a.trans.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(bank.get(CTRL), 0x00BB00DDu);  // bytes 0 and 2 written, 1 and 3 kept
  a.trans.set_byte_enable_ptr(nullptr);
  a.trans.set_streaming_width(2);
  bank.b_transport(a.trans, a.delay);
  EXPECT_EQ(a.trans.get_response_status(), tlm::TLM_BURST_ERROR_RESPONSE);
}

TEST(RegisterBank, DebugWriteSkipsHooks) {
  auto bank = make_bank();
  int writes = 0;
  bank.on_write(CTRL, [&](uint64_t, uint64_t) { ++writes; });
  Access a;
  a.set_word(0x77);
  a.trans.set_command(tlm::TLM_WRITE_COMMAND);
  a.trans.set_address(CTRL);
  a.trans.set_data_ptr(a.data);
  a.trans.set_data_length(4);
  EXPECT_EQ(bank.transport_dbg(a.trans), 4u);
  EXPECT_EQ(bank.get(CTRL), 0x77u);
  EXPECT_EQ(writes, 0);
  a.trans.set_address(0x80);
  EXPECT_EQ(bank.transport_dbg(a.trans), 0u);
}

// A debugger (gdb through the bus's debug transport) obeys the declared access like software:
// read-only stays unchanged and the write is refused, write-1-to-clear clears, write-only reads 0.
TEST(RegisterBank, DebugTransportHonoursAccess) {
  auto bank = make_bank();
  int writes = 0;
  bank.on_write(STATUS, [&](uint64_t, uint64_t) { ++writes; });
  bank.on_read(KICK, [](uint64_t) { return uint64_t{0x55}; });
  Access a;
  auto debug = [&](tlm::tlm_command command, uint64_t address, unsigned length) {
    a.trans.set_command(command);
    a.trans.set_address(address);
    a.trans.set_data_ptr(a.data);
    a.trans.set_data_length(length);
    a.trans.set_streaming_width(length);
    a.trans.set_byte_enable_ptr(nullptr);
    a.trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    return bank.transport_dbg(a.trans);
  };

  a.set_word(0x11111111);
  EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, ID, 4), 0u);
  EXPECT_EQ(a.trans.get_response_status(), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(bank.get(ID), 0xABCD1234u);
  // One byte of it, or a write spanning a writable register and it: refused as a whole.
  EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, ID + 3, 1), 0u);
  std::memset(a.data, 0xEE, sizeof a.data);
  EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, STATUS, 8), 0u);
  EXPECT_EQ(bank.get(ID), 0xABCD1234u);
  EXPECT_EQ(bank.get(STATUS), 0u);

  bank.set(STATUS, 0b1011);
  a.set_word(0b0110);
  EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, STATUS, 4), 4u);
  EXPECT_EQ(bank.get(STATUS), 0b1001u);  // the ones clear, the zeros keep
  EXPECT_EQ(writes, 0);                  // and no action runs

  bank.set(KICK, 0x99);
  EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, KICK, 4), 4u);
  EXPECT_EQ(a.word(), 0u);
  EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, ID, 4), 4u);
  EXPECT_EQ(a.word(), 0xABCD1234u);
}

TEST(RegisterBank, ModelErrorsInTablesAreCaught) {
  dlvp::RegisterBank bank("test.bad", 0x10);
  EXPECT_THROW(bank.add({"X", 0x02, 4, 0, dlvp::regs::Access::RW, ""}), std::logic_error);
  bank.add({"A", 0x00, 4, 0, dlvp::regs::Access::RW, ""});
  EXPECT_THROW(bank.add({"B", 0x00, 4, 0, dlvp::regs::Access::RW, ""}), std::logic_error);
  EXPECT_THROW(bank.add({"C", 0x10, 4, 0, dlvp::regs::Access::RW, ""}), std::logic_error);
}

}  // namespace
