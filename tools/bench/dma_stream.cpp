// Benchmark: stream N MB through the DMA between DDR and an on-chip SRAM (DDR -> SRAM, then
// SRAM -> DDR), over the system bus, on a hardware configuration of scenarios/hw. Prints the
// simulated bandwidth and the simulator's speed: simulated bytes and bus transactions per wall
// second. Usage: bench_dma_stream [--mb N] [--hw NAME] [--set key=value]...
#include "ip/bus/bus.h"
#include "ip/common/log.h"
#include "ip/common/sram_buffer.h"
#include "ip/ddr/ddr_controller.h"
#include "ip/dma/dma_engine.h"
#include "platform/platform_config.h"
#include "platform/scenario.h"
#include "ip/common/soc_map.h"

#include <systemc>
#include <tlm>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

using namespace dlvp;

struct StreamDriver : sc_core::sc_module {
  DmaEngine& dma;
  uint64_t total_bytes, chunk_bytes;
  sc_core::sc_event done;
  sc_core::sc_time read_phase_end, write_phase_end;

  StreamDriver(sc_core::sc_module_name name, DmaEngine& engine, uint64_t total, uint64_t chunk)
      : sc_module(name), dma(engine), total_bytes(total), chunk_bytes(chunk) {
    SC_HAS_PROCESS(StreamDriver);
    SC_THREAD(run);
  }

  // Moves total_bytes in chunks, alternating the two channels so that one channel's job starts
  // while the other's finishes, as a double-buffered load stream would.
  void stream(bool to_sram) {
    unsigned pending = 0;
    for (uint64_t offset = 0; offset < total_bytes; offset += chunk_bytes) {
      DmaDescriptor d;
      d.rows = 1;
      d.row_bytes = static_cast<uint32_t>(chunk_bytes);
      d.src_stride = d.dst_stride = d.row_bytes;
      const unsigned channel = (offset / chunk_bytes) % 2;
      const uint64_t sram_half = channel * chunk_bytes;
      d.src = to_sram ? soc::kDdrBase + offset : sram_half;
      d.dst = to_sram ? sram_half : soc::kDdrBase + offset;
      d.src_space = to_sram ? dma::kSystemSpace : dma::kLocalSpace;
      d.dst_space = to_sram ? dma::kLocalSpace : dma::kSystemSpace;
      ++pending;
      dma.submit(channel, d, [this, &pending](dma::DmaErrorCode code) {
        if (code != dma::DmaErrorCode::none) std::cerr << "bench: DMA error " << dma::to_string(code) << "\n";
        if (--pending == 0) done.notify();
      });
      // Keep at most one job queued per channel beyond the running one.
      if (pending >= 4) wait(done);
    }
    if (pending) wait(done);
  }

  void run() {
    stream(true);
    read_phase_end = sc_core::sc_time_stamp();
    stream(false);
    write_phase_end = sc_core::sc_time_stamp();
    sc_core::sc_stop();
  }
};

}  // namespace

int sc_main(int argc, char** argv) {
  uint64_t megabytes = 256;
  std::string hw = "ddr4-2400";
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc) megabytes = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--hw" && i + 1 < argc) hw = argv[++i];
    else if (a == "--set" && i + 1 < argc) overrides.push_back(argv[++i]);
    else {
      std::cerr << "usage: bench_dma_stream [--mb N] [--hw NAME] [--set key=value]...\n";
      return 2;
    }
  }
  try {
    log::install_report_handler();
    // A throw-away scenario that only names the hardware configuration.
    const auto scenario_path = std::filesystem::temp_directory_path() / "dlvp_bench_dma_stream.yaml";
    std::ofstream(scenario_path) << "hw: " << hw << "\n";
    const Scenario scenario = Scenario::load(scenario_path.string(), overrides);
    const PlatformConfig config = load_platform_config(scenario, "");
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(config.run.quantum_ns, sc_core::SC_NS));

    EnergyLedger ledger(TechTable::load(config.tech_path));
    MemoryMap map("bench memory map"), local("bench local space");
    map.add("ddr", soc::kDdrBase, config.ddr.size_bytes);
    map.add("dma", config.map.base_of(soc::kDevDma), soc::kRegisterWindowBytes);
    const uint64_t chunk = 64 * 1024;
    local.add("sram", 0, 2 * chunk);
    Bus bus("bus", config.bus, map, ledger);
    Bus local_bus("local_bus", config.bus, local, ledger);
    DdrController ddr("ddr", config.ddr, config.ddr_timing, ledger);
    SramBufferConfig sram_config;
    sram_config.size_bytes = 2 * chunk;
    sram_config.port_width_bytes = 64;
    sram_config.clock_mhz = config.dma.clock_mhz;
    SramBuffer sram("sram", sram_config, ledger);
    DmaEngine dma("dma", config.dma, ledger);
    sc_core::sc_signal<bool> irq("irq");
    dma.irq.bind(irq);
    dma.mem_socket.bind(bus.target_socket);
    dma.buffer_socket.bind(local_bus.target_socket);
    bus.initiator_socket.bind(ddr.socket);
    bus.initiator_socket.bind(dma.reg_socket);
    local_bus.initiator_socket.bind(sram.socket);
    dma.add_valid_range(dma::kSystemSpace, soc::kDdrBase, config.ddr.size_bytes);
    dma.add_valid_range(dma::kLocalSpace, 0, 2 * chunk);
    const uint64_t total = megabytes << 20;
    if (total > config.ddr.size_bytes) throw ConfigError("--mb " + std::to_string(megabytes) + " exceeds the DDR size");
    StreamDriver driver("driver", dma, total, chunk);

    const auto wall0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

    nlohmann::json bus_stats;
    bus.report(bus_stats, sc_core::sc_time_stamp().to_seconds() * 1e9);
    uint64_t transactions = 0;
    for (const auto& [name, t] : bus_stats["targets"].items()) transactions += t.value("transactions", 0ull);
    const double read_s = driver.read_phase_end.to_seconds();
    const double write_s = (driver.write_phase_end - driver.read_phase_end).to_seconds();
    const double peak = config.ddr_timing.peak_bandwidth_Bps() * config.ddr.channels;
    std::printf("hardware            %s (%s, bus %u B x %.0f MHz, DMA burst %u B, %u outstanding)\n", hw.c_str(),
                config.ddr_timing.name.c_str(), config.bus.width_bytes, config.bus.clock_mhz, config.dma.burst_bytes,
                config.dma.max_outstanding);
    std::printf("streamed            %llu MB DDR -> SRAM, then %llu MB SRAM -> DDR\n",
                static_cast<unsigned long long>(megabytes), static_cast<unsigned long long>(megabytes));
    std::printf("simulated bandwidth read %.2f GB/s, write %.2f GB/s (DDR peak %.2f GB/s)\n", total / read_s / 1e9,
                total / write_s / 1e9, peak / 1e9);
    std::printf("simulated time      %.3f ms\n", driver.write_phase_end.to_seconds() * 1e3);
    std::printf("wall time           %.3f s\n", wall);
    std::printf("simulator speed     %.1f simulated MB per wall second, %.2f M bus transactions per wall second\n",
                2.0 * total / wall / 1e6, transactions / wall / 1e6);
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "bench_dma_stream: error: " << e.what() << "\n";
    return 2;
  }
}
