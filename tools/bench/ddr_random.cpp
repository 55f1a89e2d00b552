// Benchmark: random 64-byte reads from many initiators straight into one DDR controller (no
// bus), each initiator with one read in flight. Prints the simulated bandwidth and the
// simulator's speed: requests per wall second of the whole process (set-up included).
// Usage: bench_ddr_random [--requests N] [--initiators N] [--preset NAME] [--scheduler fcfs|frfcfs]
#include "ip/common/log.h"
#include "ip/common/tlm_util.h"
#include "ip/ddr/ddr_controller.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace {

using namespace dlvp;

struct RandomReaders : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<RandomReaders> socket;
  uint64_t remaining, size_bytes;
  std::mt19937_64 random{12345};
  sc_core::sc_time last_done;

  RandomReaders(sc_core::sc_module_name name, unsigned initiators, uint64_t requests, uint64_t size)
      : sc_module(name), socket("socket"), remaining(requests), size_bytes(size) {
    for (unsigned i = 0; i < initiators; ++i) sc_core::sc_spawn([this] { read_loop(); }, ("reader" + std::to_string(i)).c_str());
  }

  void read_loop() {
    unsigned char data[64];
    tlm::tlm_generic_payload trans;
    while (remaining > 0) {
      --remaining;
      setup_payload(trans, tlm::TLM_READ_COMMAND, random() % size_bytes / 64 * 64, data, 64);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      socket->b_transport(trans, delay);
      if (!trans.is_response_ok()) std::cerr << "bench_ddr_random: read failed\n";
      wait(delay);
      last_done = sc_core::sc_time_stamp();
    }
  }
};

}  // namespace

int sc_main(int argc, char** argv) {
  const auto wall0 = std::chrono::steady_clock::now();
  uint64_t requests = 2000000;
  unsigned initiators = 32;
  std::string preset = "ddr4-2400-x64";
  DdrConfig config;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--requests" && i + 1 < argc) requests = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--initiators" && i + 1 < argc) initiators = unsigned(std::strtoul(argv[++i], nullptr, 10));
    else if (a == "--preset" && i + 1 < argc) preset = argv[++i];
    else if (a == "--scheduler" && i + 1 < argc) config.scheduler = argv[++i];
    else {
      std::cerr << "usage: bench_ddr_random [--requests N] [--initiators N] [--preset NAME] [--scheduler fcfs|frfcfs]\n";
      return 2;
    }
  }
  if (initiators == 0 || (config.scheduler != "fcfs" && config.scheduler != "frfcfs")) {
    std::cerr << "bench_ddr_random: --initiators must be positive, --scheduler fcfs or frfcfs\n";
    return 2;
  }
  try {
    log::install_report_handler();
    const DdrTiming timing = DdrTiming::load(std::string(DLVP_DATA_DIR) + "/hw/ddr/" + preset + ".yaml");
    EnergyLedger ledger{TechTable{}};
    DdrController ddr("ddr", config, timing, ledger);
    RandomReaders readers("readers", initiators, requests, config.size_bytes);
    readers.socket.bind(ddr.socket);
    sc_core::sc_start();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    const double simulated = readers.last_done.to_seconds();
    std::printf("hardware            %s, scheduler %s, %u initiators with one 64-B read each in flight\n",
                preset.c_str(), config.scheduler.c_str(), initiators);
    std::printf("simulated bandwidth %.2f GB/s (peak %.2f GB/s), row hit rate %.3f\n",
                double(requests) * 64 / simulated / 1e9, timing.peak_bandwidth_Bps() / 1e9, ddr.stats().row_hit_rate());
    std::printf("wall time           %.3f s (whole process)\n", wall);
    std::printf("simulator speed     %.2f M requests per wall second\n", double(requests) / wall / 1e6);
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "bench_ddr_random: error: " << e.what() << "\n";
    return 2;
  }
}
