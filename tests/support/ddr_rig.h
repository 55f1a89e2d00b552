// DDR controller test rig (tests/unit/ddr): a preset loader, an initiator that issues
// transactions at absolute times or streams them with a number outstanding, and one controller
// with an initiator bound to it.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/tech_table.h"
#include "ip/common/tlm_util.h"
#include "ip/ddr/ddr_controller.h"

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dlvp::test {

using sc_core::sc_time;

inline DdrTiming preset(const std::string& name) {
  return DdrTiming::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr/" + name + ".yaml");
}

// A test initiator: runs `program` in a thread; helpers issue transactions at absolute times.
class Initiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Initiator> socket;
  struct Result {
    tlm::tlm_response_status status;
    sc_time done;  // absolute time the last data beat finished
  };

  SC_HAS_PROCESS(Initiator);
  Initiator(sc_core::sc_module_name name, std::function<void(Initiator&)> program)
      : sc_module(name), socket("socket"), program_(std::move(program)) {
    SC_THREAD(run);
  }

  // One transaction presented at absolute time `at` (not before the current time).
  Result access(tlm::tlm_command command, uint64_t address, unsigned char* data, unsigned length, sc_time at) {
    tlm::tlm_generic_payload trans;
    setup_payload(trans, command, address, data, length);
    return transport(trans, at);
  }
  Result transport(tlm::tlm_generic_payload& trans, sc_time at) {
    sc_time delay = at - sc_core::sc_time_stamp();
    socket->b_transport(trans, delay);
    return {trans.get_response_status(), sc_core::sc_time_stamp() + delay};
  }

  // Streams `length`-byte accesses at `addresses`, keeping up to `outstanding` in flight (as a
  // DMA engine with that many outstanding requests), synchronizing every `quantum`. Returns the
  // completion time of the last one.
  sc_time stream(const std::vector<uint64_t>& addresses, unsigned length, bool write, unsigned outstanding,
                 sc_time quantum = sc_time(1, sc_core::SC_US)) {
    std::vector<unsigned char> buffer(length, 0x5a);
    std::deque<sc_time> in_flight;
    sc_time issue = sc_core::sc_time_stamp(), last_done = issue;
    for (const uint64_t address : addresses) {
      if (in_flight.size() == outstanding) {
        issue = std::max(issue, in_flight.front());
        in_flight.pop_front();
      }
      if (issue - sc_core::sc_time_stamp() >= quantum) wait(issue - sc_core::sc_time_stamp());
      const Result r = access(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, address, buffer.data(), length,
                              issue);
      EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
      in_flight.push_back(r.done);
      last_done = std::max(last_done, r.done);
    }
    return last_done;
  }

 private:
  void run() { program_(*this); }
  std::function<void(Initiator&)> program_;
};

// One DDR controller with an initiator bound to it.
struct Rig {
  EnergyLedger ledger;
  std::unique_ptr<DdrController> ddr;
  std::unique_ptr<Initiator> cpu;

  Rig(const DdrConfig& config, const DdrTiming& timing, std::function<void(Initiator&)> program,
      TechTable table = TechTable{}, const char* name = "ddr")
      : ledger(std::move(table)) {
    ddr = std::make_unique<DdrController>(name, config, timing, ledger);
    cpu = std::make_unique<Initiator>((std::string(name) + "_cpu").c_str(), std::move(program));
    cpu->socket.bind(ddr->socket);
  }
  double energy(const std::string& counter, double elapsed_ns = 0) const {
    return ledger.energy_of(ledger.find(ddr->name(), counter), elapsed_ns);
  }
  uint64_t count(const std::string& counter) const { return ledger.count_of(ledger.find(ddr->name(), counter)); }
  // Looked up without EnergyLedger::find's exception: throwing after sc_start() upsets ASan's
  // view of SystemC's coroutine stacks.
  bool has(const std::string& counter) const {
    for (CounterId id = 0; id < ledger.counter_count(); ++id)
      if (ledger.spec(id).module == ddr->name() && ledger.spec(id).name == counter) return true;
    return false;
  }
};

inline std::vector<uint64_t> sequential(uint64_t start, uint64_t bytes, uint64_t step) {
  std::vector<uint64_t> addresses;
  for (uint64_t a = start; a < start + bytes; a += step) addresses.push_back(a);
  return addresses;
}

}  // namespace dlvp::test
