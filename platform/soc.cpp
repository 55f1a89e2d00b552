#include "soc.h"

#include "platform/cost_model.h"
#include "ip/periph/sysctl_regs.h"
#include "ip/common/soc_map.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace dlvp {

Soc::Soc(sc_core::sc_module_name name, const PlatformConfig& config, EnergyLedger& ledger)
    : sc_module(name),
      map_("memory map of " + config.scenario_path),
      buffer_map_("local buffer space"),
      power_(ledger, config.report.power_interval_ns),
      ddr_bandwidth_(config.report.power_interval_ns) {
  build_memory_map(config);
  bus_ = std::make_unique<Bus>("bus", config.bus, map_, ledger);
  build_cpu(config, ledger);
  sysctl_ = std::make_unique<Sysctl>("sysctl", config.sysctl);
  uart_ = std::make_unique<Uart>("uart", config.uart);
  timer_ = std::make_unique<Timer>("timer", config.timer);
  intc_ = std::make_unique<Intc>("intc", config.intc);
  dma_ = std::make_unique<DmaEngine>("dma", config.dma, ledger);
  ddr_ = std::make_unique<DdrController>("ddr", config.ddr, config.ddr_timing, ledger);
  pmu_ = std::make_unique<Pmu>("pmu", config.pmu, ledger);
  cnn_ = std::make_unique<CnnEngine>("cnn", config.cnn, ledger, kCnnLocalBase);
  if (config.lstm.enabled) lstm_ = std::make_unique<LstmEngine>("lstm", config.lstm, ledger, kLstmLocalBase);
  ifu_ = std::make_unique<Ifu>("ifu", config.ifu, *dma_, ledger);
  ifu_->add_compute_engine(cnn_.get());
  if (lstm_) ifu_->add_compute_engine(lstm_.get());
  add_leakage(config, ledger);
  // Lazily accounted DRAM figures (refresh, open-row time) are brought up to each snapshot.
  pmu_->set_before_snapshot([this](const sc_core::sc_time& t) { ddr_->finalize(t); });
  pmu_->set_power_monitor(&power_);
  pmu_->set_accelerator_time([this] {
    AcceleratorTime t;
    for (const auto& [base, program] : ifu_->programs()) {
      t.jobs += program.jobs_completed;
      t.job_ps += program.job_time;
      for (const Ifu::LayerAccount& layer : program.layers) {
        t.engine_busy_ps += layer.time.engine_busy;
        t.memory_stall_ps += layer.time.memory_stall;
        t.store_tail_ps += layer.time.store_tail;
        t.other_ps += layer.time.other;
      }
    }
    return t;
  });
  const auto static_energy_at = [this, &ledger](const sc_core::sc_time& t) {
    ddr_->finalize(t);
    std::array<double, kLevelCount> by_level{};
    const auto split = ledger.energy_split_by_level(t.to_seconds() * 1e9);
    for (int l = 0; l < kLevelCount; ++l) by_level[l] = split[l].static_energy;
    return by_level;
  };
  ifu_->set_static_energy_probe(static_energy_at);
  sysctl_->cpu_stage_marks().attach(&ledger, static_energy_at);  // CPUC: the CPU layers' energy

  // Initiators on the system bus (port order = binding order).
  cpu_->socket.bind(bus_->target_socket);
  bus_->set_initiator_name(0, "cpu");
  dma_->mem_socket.bind(bus_->target_socket);
  bus_->set_initiator_name(1, "dma");
  ifu_->fetch_socket.bind(bus_->target_socket);
  bus_->set_initiator_name(2, "ifu");
  loader_socket_.bind(bus_->target_socket);
  bus_->set_initiator_name(3, "loader");
  // Targets, in the order of the memory map's regions (a region's index is its bus port).
  std::map<std::string, tlm::tlm_target_socket<>*> target_of = {
      {"sysctl", &sysctl_->socket}, {"uart", &uart_->socket}, {"timer", &timer_->socket},
      {"intc", &intc_->socket},     {"dma", &dma_->reg_socket}, {"ddr", &ddr_->socket},
      {"pmu", &pmu_->socket},       {"ifu", &ifu_->reg_socket}, {"cnn", &cnn_->reg_socket}};
  if (lstm_) target_of.emplace("lstm", &lstm_->reg_socket);
  for (const MemoryMap::Region& region : map_.regions()) bus_->initiator_socket.bind(*target_of.at(region.name));

  build_local_space(config, ledger);
  dma_->add_valid_range(dma::kSystemSpace, soc::kDdrBase, config.ddr.size_bytes);

  // The device table software discovers the map from.
  for (const auto& [slot, base] : config.map.bases)
    if (config.device_present(slot->id)) sysctl_->add_device(slot->id, base, soc::kRegisterWindowBytes, slot->irq);
  sysctl_->add_device(soc::kDevDdr, soc::kDdrBase, config.ddr.size_bytes, soc::kNoIrq);

  wire_interrupts(config);
  loads_ = config.software.load;
  sysctl_->set_guest_reader([this](uint64_t address, uint8_t* data, unsigned size) { return read_debug(address, data, size); });
  for (size_t i = 0; i < config.software.args.size(); ++i) sysctl_->set_boot_arg(static_cast<uint32_t>(i), config.software.args[i]);
}

// cpu.mode: native runs the app plugin; iss runs the RV32 ELF, which ends the run like software
// does (EXIT of the system controller) also for tohost results and trap loops.
void Soc::build_cpu(const PlatformConfig& config, EnergyLedger& ledger) {
  if (config.cpu.mode != "iss") {
    cpu_ = std::make_unique<CpuNative>("cpu", config.cpu, config.app_path);
    return;
  }
  CpuIss::Platform platform;
  platform.ram_base = soc::kDdrBase;
  platform.ram_size = config.ddr.size_bytes;
  platform.timer_mhz = config.timer.frequency_mhz;
  platform.exit_register = soc::kSysctlBase + sysctl::EXIT;
  auto iss = std::make_unique<CpuIss>("cpu", config.cpu, config.app_path, ledger, platform);
  cpu_iss_ = iss.get();
  cpu_ = std::move(iss);
}

void Soc::start_of_simulation() {
  // The bus's sockets are bound only now: the loads go through it like a debugger's writes.
  if (cpu_iss_)
    cpu_iss_->load_program([this](uint64_t address, const uint8_t* data, size_t size) { return write_debug(address, data, size); });
  for (size_t i = 0; i < loads_.size(); ++i)
    load_file(loads_[i].path, loads_[i].address, "software.load[" + std::to_string(i) + "] file");
}

bool Soc::write_debug(uint64_t address, const uint8_t* data, size_t size) {
  tlm::tlm_generic_payload trans;
  setup_payload(trans, tlm::TLM_WRITE_COMMAND, address, const_cast<uint8_t*>(data), static_cast<unsigned>(size));
  return loader_socket_->transport_dbg(trans) == size;
}

unsigned Soc::read_debug(uint64_t address, uint8_t* data, unsigned size) {
  tlm::tlm_generic_payload trans;
  setup_payload(trans, tlm::TLM_READ_COMMAND, address, data, size);
  return loader_socket_->transport_dbg(trans);
}

void Soc::load_file(const std::string& path, uint64_t address, const std::string& what) {
  // The size first: a file that does not fit is refused before any of it is read, and the bytes
  // go to memory in chunks, so host memory stays bounded whatever the file's size.
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw ConfigError(path + ": cannot read " + what + ": " + ec.message());
  size_t region = 0;
  const MemoryMap::Region* target = map_.decode(address, std::max<uint64_t>(size, 1), region);
  if (!target || target->name != "ddr") {
    std::ostringstream os;
    os << path << ": " << what << " of " << size << " B does not fit in DDR at 0x" << std::hex << address;
    throw ConfigError(os.str());
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> chunk(1 << 20);
  for (uint64_t done = 0; done < size;) {
    const auto n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - done));
    if (!in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(n)))
      throw ConfigError(path + ": cannot read " + what + " at offset " + std::to_string(done));
    if (!write_debug(address + done, chunk.data(), n)) throw ConfigError(path + ": writing " + what + " into memory failed");
    done += n;
  }
}

void Soc::build_local_space(const PlatformConfig& config, EnergyLedger& ledger) {
  // The DMA's local buffer space: the on-chip scratchpad at 0, the CNN engine's buffers above.
  buffer_bus_ = std::make_unique<Bus>("buffer_bus", config.bus, build_buffer_map(config), ledger);
  dma_->buffer_socket.bind(buffer_bus_->target_socket);
  if (config.scratchpad.size_bytes > 0) {
    SramBufferConfig scratch;
    scratch.size_bytes = config.scratchpad.size_bytes;
    scratch.port_width_bytes = config.scratchpad.port_width_bytes;
    scratch.clock_mhz = config.dma.clock_mhz;
    scratchpad_ = std::make_unique<SramBuffer>("scratchpad", scratch, ledger);
    buffer_bus_->initiator_socket.bind(scratchpad_->socket);
    dma_->add_valid_range(dma::kLocalSpace, 0, scratch.size_bytes);
  }
  // The engines' buffers in the order of the buffer map (a region's index is its bus port).
  for (int b = 0; b < isa::kCnnBufCount; ++b) {
    const auto buffer = static_cast<isa::Buffer>(b);
    add_local_buffer(cnn_->buffer(buffer), cnn_->buffer_base(buffer));
  }
  if (lstm_)
    for (const isa::Buffer buffer : {isa::kBufLstmWeight, isa::kBufLstmVector})
      add_local_buffer(lstm_->buffer(buffer), lstm_->buffer_base(buffer));
}

void Soc::add_local_buffer(SramBuffer& buffer, uint64_t base) {
  buffer_bus_->initiator_socket.bind(buffer.socket);
  dma_->add_valid_range(dma::kLocalSpace, base, buffer.size());
}

const MemoryMap& Soc::build_buffer_map(const PlatformConfig& config) {
  if (config.scratchpad.size_bytes > 0) buffer_map_.add("scratchpad", 0, config.scratchpad.size_bytes);
  static const char* names[isa::kCnnBufCount] = {"cnn_input", "cnn_weight", "cnn_output"};
  for (int b = 0; b < isa::kCnnBufCount; ++b)
    buffer_map_.add(names[b], cnn_->buffer_base(static_cast<isa::Buffer>(b)), cnn_->buffer_size(static_cast<isa::Buffer>(b)));
  if (lstm_) {
    buffer_map_.add("lstm_weight", lstm_->buffer_base(isa::kBufLstmWeight), lstm_->buffer_size(isa::kBufLstmWeight));
    buffer_map_.add("lstm_vector", lstm_->buffer_base(isa::kBufLstmVector), lstm_->buffer_size(isa::kBufLstmVector));
  }
  return buffer_map_;
}

// Leakage of the accelerator's blocks (the cost model's gates and SRAM at the technology table's
// node, its leakage coefficients): static power charged over the whole simulated time, logic at
// level "other", SRAM at "buffer" (docs/energy.md, "Leakage"). No block is power-gated.
void Soc::add_leakage(const PlatformConfig& config, EnergyLedger& ledger) {
  if (ledger.unit() != "pJ") return;  // a normalized table (energy in MACs) has no power to charge
  const CostEstimate estimate = estimate_structure(config);
  const std::string coefficients = estimate.technology + " area.leakage_gate " + std::to_string(estimate.leakage_gate_nw) +
                                   " nW per gate, area.leakage_sram " + std::to_string(estimate.leakage_sram_uw_per_kb) +
                                   " uW per KB (estimates: docs/cost.md)";
  for (const BlockLeakage& b : leakage_by_block(estimate)) {
    // mW = pJ per ns, the unit add_static takes with a pJ table.
    if (b.logic_mw > 0) ledger.add_static("leakage." + b.name, "logic", Level::other, b.logic_mw, "cost model: " + coefficients);
    if (b.sram_mw > 0) ledger.add_static("leakage." + b.name, "sram", Level::buffer, b.sram_mw, "cost model: " + coefficients);
  }
}

void Soc::build_memory_map(const PlatformConfig& config) {
  for (const auto& [slot, base] : config.map.bases)
    if (config.device_present(slot->id)) map_.add(slot->key, base, soc::kRegisterWindowBytes);
  map_.add("ddr", soc::kDdrBase, config.ddr.size_bytes);
}

void Soc::wire_interrupts(const PlatformConfig& config) {
  cpu_->irq_external.bind(cpu_external_irq_);
  cpu_->irq_timer.bind(cpu_timer_irq_);
  intc_->irq_out.bind(cpu_external_irq_);
  timer_->irq.bind(cpu_timer_irq_);
  // One signal per interrupt controller source; devices drive theirs, the rest stay low.
  for (size_t i = 0; i < intc_->irq_in.size(); ++i) {
    source_irqs_.push_back(std::make_unique<sc_core::sc_signal<bool>>(("irq_source_" + std::to_string(i)).c_str()));
    intc_->irq_in[i].bind(*source_irqs_.back());
  }
  for (const auto& [slot, base] : config.map.bases) {
    if (slot->irq == soc::kNoIrq || !config.device_present(slot->id)) continue;
    if (slot->irq >= source_irqs_.size())
      throw ConfigError(config.scenario_path + ": key 'intc.sources' is too small for the " + slot->key +
                        " interrupt (source " + std::to_string(slot->irq) + ")");
    intc_->set_source_name(slot->irq, slot->key);
    if (slot->id == soc::kDevDma) dma_->irq.bind(*source_irqs_[slot->irq]);
    if (slot->id == soc::kDevIfu) ifu_->irq.bind(*source_irqs_[slot->irq]);
  }
}

void Soc::sample_over_time(const sc_core::sc_time& t) {
  ddr_->finalize(t);  // the DRAM's power states are accounted lazily
  const double now_ns = t.to_seconds() * 1e9;
  power_.sample(now_ns);
  ddr_bandwidth_.sample(now_ns, ddr_->stats().bytes_read, ddr_->stats().bytes_written);
}

std::vector<const Reportable*> Soc::reportables() const {
  std::vector<const Reportable*> all = {cpu_.get(), bus_.get(), ddr_.get(), dma_.get(), buffer_bus_.get(),
                                        uart_.get(), intc_.get(), timer_.get(), sysctl_.get(), pmu_.get(),
                                        ifu_.get(), cnn_.get()};
  if (scratchpad_) all.push_back(scratchpad_.get());
  for (int b = 0; b < isa::kCnnBufCount; ++b) all.push_back(&cnn_->buffer(static_cast<isa::Buffer>(b)));
  if (lstm_) {
    all.push_back(lstm_.get());
    all.push_back(&lstm_->buffer(isa::kBufLstmWeight));
    all.push_back(&lstm_->buffer(isa::kBufLstmVector));
  }
  return all;
}

}  // namespace dlvp
