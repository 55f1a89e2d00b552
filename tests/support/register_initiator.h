// Test initiator for the peripheral tests: runs a test body in an SC_THREAD and issues register
// accesses the way a loosely-timed CPU does, carrying a local time offset that targets annotate.
#pragma once
#include "ip/common/tlm_util.h"

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <cstring>
#include <functional>

namespace dlvp::test {

class RegisterInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<RegisterInitiator> socket;
  sc_core::sc_time local = sc_core::SC_ZERO_TIME;  // how far this initiator runs ahead of the kernel
  std::function<void(RegisterInitiator&)> body;
  bool finished = false;     // the body returned: a body that stopped half-way fails the test
  bool must_finish = true;   // false for a test whose body the simulation's end cuts on purpose

  ~RegisterInitiator() override {
    if (body && must_finish) {
      EXPECT_TRUE(finished) << name() << ": the test body did not run to its end";
    }
  }

  SC_HAS_PROCESS(RegisterInitiator);
  explicit RegisterInitiator(sc_core::sc_module_name name) : sc_module(name), socket("socket") { SC_THREAD(run); }

  // The initiator's notion of the current time.
  sc_core::sc_time now() const { return sc_core::sc_time_stamp() + local; }
  // Sets the local offset so that the next access happens at simulated time t (t >= kernel time).
  void at(const sc_core::sc_time& t) { local = t - sc_core::sc_time_stamp(); }
  void sync() {
    wait(local);
    local = sc_core::SC_ZERO_TIME;
  }
  // Synchronizes, then lets signals and methods settle.
  void settle() {
    sync();
    wait(sc_core::sc_time(1, sc_core::SC_NS));
  }

  tlm::tlm_response_status access(tlm::tlm_command command, uint64_t offset, uint64_t& value, unsigned bytes) {
    unsigned char data[8] = {};
    std::memcpy(data, &value, bytes);  // the host is little-endian, like the SoC
    tlm::tlm_generic_payload trans;
    setup_payload(trans, command, offset, data, bytes);
    socket->b_transport(trans, local);
    value = 0;
    std::memcpy(&value, data, bytes);
    return trans.get_response_status();
  }
  uint64_t read(uint64_t offset, unsigned bytes = 4) {
    uint64_t value = 0;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, offset, value, bytes), tlm::TLM_OK_RESPONSE) << "read at 0x" << std::hex << offset;
    return value;
  }
  void write(uint64_t offset, uint64_t value, unsigned bytes = 4) {
    EXPECT_EQ(access(tlm::TLM_WRITE_COMMAND, offset, value, bytes), tlm::TLM_OK_RESPONSE) << "write at 0x" << std::hex << offset;
  }
  tlm::tlm_response_status read_status(uint64_t offset, unsigned bytes = 4) {
    uint64_t value = 0;
    return access(tlm::TLM_READ_COMMAND, offset, value, bytes);
  }
  tlm::tlm_response_status write_status(uint64_t offset, uint64_t value, unsigned bytes = 4) {
    return access(tlm::TLM_WRITE_COMMAND, offset, value, bytes);
  }
  // Debug transport; returns the bytes the target transferred.
  unsigned debug(tlm::tlm_command command, uint64_t offset, uint64_t& value, unsigned bytes = 4) {
    unsigned char data[8] = {};
    std::memcpy(data, &value, bytes);
    tlm::tlm_generic_payload trans;
    setup_payload(trans, command, offset, data, bytes);
    const unsigned done = socket->transport_dbg(trans);
    value = 0;
    std::memcpy(&value, data, bytes);
    return done;
  }

 private:
  void run() {
    if (!body) return;
    body(*this);
    finished = true;
  }
};

}  // namespace dlvp::test
