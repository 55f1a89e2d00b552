// Test models around the bus: memories that record what reaches them and initiators that run a
// script, wired to one Bus through a MemoryMap. Each TEST builds one bench (one elaboration).
#pragma once
#include "ip/bus/bus.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/tech_table.h"

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dlvp::test {

constexpr double kBusTransferEnergy = 2.5;  // unit energy of the test table's bus_transfer_64b

// A technology table with the one entry the bus needs, written for this test process.
inline TechTable bus_tech_table() {
  const std::string path = ::testing::TempDir() + "bus_test_tech.yaml";
  std::ofstream(path) << "name: bus-test\nunit: pJ\nentries:\n"
                      << "  bus_transfer_64b: {energy: " << kBusTransferEnergy
                      << ", per: 64-bit transfer, source: test value}\n";
  return TechTable::load(path);
}

// A memory that stores data, answers after a fixed latency, grants DMI over [dmi_first, dmi_last]
// and records every access in its local address space.
class RecordingMemory : public sc_core::sc_module, public DmiAccountant {
 public:
  struct Access {
    tlm::tlm_command command;
    uint64_t address;
    unsigned length;
  };
  struct Accounted {
    uint64_t address, bytes;
    bool write;
    TagId tag;
  };

  tlm_utils::simple_target_socket<RecordingMemory> socket;
  std::vector<uint8_t> storage;
  sc_core::sc_time latency;
  bool synchronizes = false;  // b_transport waits out the initiator's local time first (TLM-2.0 allows it)
  uint64_t dmi_first = 0, dmi_last = 0;
  std::vector<Access> accesses;
  std::vector<uint64_t> debug_addresses;
  std::vector<uint64_t> dmi_requests;
  std::vector<Accounted> accounted;

  RecordingMemory(sc_core::sc_module_name name, size_t bytes, sc_core::sc_time access_latency)
      : sc_module(name), socket("socket"), storage(bytes, 0), latency(access_latency), dmi_last(bytes - 1) {
    socket.register_b_transport(this, &RecordingMemory::b_transport);
    socket.register_transport_dbg(this, &RecordingMemory::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &RecordingMemory::get_direct_mem_ptr);
  }

  void invalidate(uint64_t first, uint64_t last) { socket->invalidate_direct_mem_ptr(first, last); }

  sc_core::sc_time account(uint64_t address, uint64_t bytes, bool write, TagId tag) override {
    accounted.push_back({address, bytes, write, tag});
    return latency;
  }

 private:
  bool in_range(const tlm::tlm_generic_payload& trans) const {
    return trans.get_address() < storage.size() && trans.get_data_length() <= storage.size() - trans.get_address();
  }
  void copy(tlm::tlm_generic_payload& trans) {
    uint8_t* cell = storage.data() + trans.get_address();
    if (trans.is_write()) std::memcpy(cell, trans.get_data_ptr(), trans.get_data_length());
    if (trans.is_read()) std::memcpy(trans.get_data_ptr(), cell, trans.get_data_length());
  }
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    accesses.push_back({trans.get_command(), trans.get_address(), trans.get_data_length()});
    if (!in_range(trans)) return trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    copy(trans);
    if (synchronizes) {
      sc_core::wait(delay);
      delay = sc_core::SC_ZERO_TIME;
    }
    delay += latency;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans) {
    debug_addresses.push_back(trans.get_address());
    if (!in_range(trans)) return 0;
    copy(trans);
    return trans.get_data_length();
  }
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    dmi_requests.push_back(trans.get_address());
    if (auto* accounting = trans.get_extension<DmiAccountingExtension>()) accounting->accountant = this;
    dmi.set_dmi_ptr(storage.data() + dmi_first);
    dmi.set_start_address(dmi_first);
    dmi.set_end_address(dmi_last);
    dmi.set_read_latency(latency);
    dmi.set_write_latency(latency);
    dmi.allow_read_write();
    return true;
  }
};

// An initiator that runs `script` in a thread and records DMI invalidations it receives.
class ScriptedInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<ScriptedInitiator> socket;
  std::function<void(ScriptedInitiator&)> script;
  std::vector<std::pair<uint64_t, uint64_t>> invalidations;

  SC_HAS_PROCESS(ScriptedInitiator);
  explicit ScriptedInitiator(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_invalidate_direct_mem_ptr(this, &ScriptedInitiator::invalidate);
    SC_THREAD(run);
  }

  // One blocking transaction; returns its response status.
  tlm::tlm_response_status access(tlm::tlm_command command, uint64_t address, uint8_t* data, unsigned length,
                                  sc_core::sc_time& delay) {
    tlm::tlm_generic_payload trans;
    setup_payload(trans, command, address, data, length);
    socket->b_transport(trans, delay);
    EXPECT_EQ(trans.get_address(), address) << "the bus must restore the initiator's address";
    return trans.get_response_status();
  }

 private:
  void run() {
    if (script) script(*this);
  }
  void invalidate(sc_dt::uint64 first, sc_dt::uint64 last) { invalidations.emplace_back(first, last); }
};

struct RegionSpec {
  std::string name;
  uint64_t base, size;
  sc_core::sc_time memory_latency = sc_core::SC_ZERO_TIME;
};

// Initiators 0..n-1 and one memory per region, bound to a bus in region order.
struct BusBench {
  EnergyLedger ledger{bus_tech_table()};
  MemoryMap map;
  std::vector<std::unique_ptr<RecordingMemory>> memories;
  std::vector<std::unique_ptr<ScriptedInitiator>> initiators;
  std::unique_ptr<Bus> bus;

  BusBench(const BusConfig& config, const std::vector<RegionSpec>& regions, size_t initiator_count) {
    for (const RegionSpec& r : regions) {
      map.add(r.name, r.base, r.size);
      memories.push_back(std::make_unique<RecordingMemory>(("mem_" + r.name).c_str(), r.size, r.memory_latency));
    }
    bus = std::make_unique<Bus>("bus", config, map, ledger);
    for (auto& memory : memories) bus->initiator_socket.bind(memory->socket);
    for (size_t i = 0; i < initiator_count; ++i) {
      initiators.push_back(std::make_unique<ScriptedInitiator>(("cpu" + std::to_string(i)).c_str()));
      initiators.back()->socket.bind(bus->target_socket);
    }
  }
  ScriptedInitiator& initiator(size_t i) { return *initiators.at(i); }
  RecordingMemory& memory(size_t i) { return *memories.at(i); }
};

}  // namespace dlvp::test
