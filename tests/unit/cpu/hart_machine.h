// The flat test machine of the instruction-level tests: one rv32::Hart, 1 MiB of RAM at
// 0x8000_0000 (by DMI, or through the bus interface to exercise the slow paths), and a test
// device at 0x1000_0000 that drives the two interrupt lines (see programs/test_macros.h). No
// SystemC: a program runs in microseconds to milliseconds.
#pragma once
#include "ip/cpu/elf_loader.h"
#include "ip/cpu/rv32_hart.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace dlvp::test {

// Where CMake puts the assembled programs (tests/unit/cpu/CMakeLists.txt).
inline std::string program_path(const std::string& name) { return std::string(DLVP_CPU_PROGRAMS) + "/" + name + ".elf"; }

class HartMachine : public rv32::Bus {
 public:
  static constexpr uint32_t kRamBase = 0x80000000u;
  static constexpr uint32_t kRamBytes = 1u << 20;
  static constexpr uint32_t kDevice = 0x10000000u;
  static constexpr uint32_t kDeviceBytes = 0x10;
  static constexpr uint64_t kLineCycles = 10;  // MACHINE_LINE_CYCLES of the programs

  static rv32::HartConfig default_config() {
    rv32::HartConfig c;
    c.ram_base = kRamBase;
    c.ram_size = kRamBytes;
    return c;
  }

  explicit HartMachine(const rv32::HartConfig& config = default_config(), bool dmi = true)
      : ram(config.ram_size, 0), hart(config, *this), dmi_(dmi) {
    if (dmi_) hart.set_ram_pointer(ram.data());
  }

  // Loads an ELF like the platform does: check, write the segments, pc = entry, watch tohost.
  void load(const std::string& path) {
    const ElfImage elf = ElfImage::load(path);
    elf.check_fits(kRamBase, ram.size(), "RAM");
    elf.write_to([&](uint64_t address, const uint8_t* data, size_t size) {
      std::memcpy(&ram[address - kRamBase], data, size);
      return true;
    });
    hart.reset(elf.entry());
    if (const auto tohost = elf.symbol("tohost")) hart.watch_tohost(*tohost);
    symbols_ = elf;
  }
  uint32_t symbol(const std::string& name) const { return symbols_->symbol(name).value(); }
  uint32_t word_at(uint32_t address) const {
    uint32_t v = 0;
    std::memcpy(&v, &ram[address - kRamBase], 4);
    return v;
  }

  // Runs until tohost, a halt, a WFI nothing will wake, or `max_cycles`.
  rv32::Stop run(uint64_t max_cycles = 2'000'000'000ull) {
    for (;;) {
      raise_due_lines();
      const uint64_t next = raise_at_ ? std::min(*raise_at_, max_cycles) : max_cycles;
      hart.set_budget_end(std::min(next, hart.cycles() + 100000));
      const rv32::Stop stop = hart.run();
      if (stop == rv32::Stop::tohost || stop == rv32::Stop::halted) return stop;
      if (stop == rv32::Stop::wfi && !hart.interrupt_waiting()) {
        if (!raise_at_) return stop;  // asleep for ever
        if (*raise_at_ > hart.cycles()) hart.add_cycles(*raise_at_ - hart.cycles());
      }
      if (hart.cycles() >= max_cycles) return rv32::Stop::budget;
    }
  }

  // Runs a self-checking program: tohost must be 1; otherwise names the failing case.
  void expect_passes(const std::string& name) {
    load(program_path(name));
    const rv32::Stop stop = run();
    ASSERT_EQ(stop, rv32::Stop::tohost) << name << ": " << (stop == rv32::Stop::halted ? hart.halt_reason() : "did not end")
                                        << " (pc 0x" << std::hex << hart.pc() << ")";
    EXPECT_EQ(hart.tohost_value(), 1u) << name << ": test case " << (hart.tohost_value() >> 1) << " failed";
  }

  // rv32::Bus
  bool read(uint32_t address, void* data, unsigned size) override {
    hart.add_cycles(1);
    if (uint32_t* r = device_register(address, size)) {
      std::memcpy(data, r, 4);
      return true;
    }
    if (address - kRamBase < ram.size() && !dmi_) {
      std::memcpy(data, &ram[address - kRamBase], size);
      return true;
    }
    return false;
  }
  bool write(uint32_t address, const void* data, unsigned size) override {
    hart.add_cycles(1);
    if (uint32_t* r = device_register(address, size)) {
      std::memcpy(r, data, 4);
      device_written(address - kDevice);
      return true;
    }
    if (address - kRamBase < ram.size() && !dmi_) {
      std::memcpy(&ram[address - kRamBase], data, size);
      return true;
    }
    return false;
  }
  bool peek(uint32_t address, void* data, unsigned size) override {
    if (address - kRamBase >= ram.size() || ram.size() - (address - kRamBase) < size) return false;
    std::memcpy(data, &ram[address - kRamBase], size);
    return true;
  }
  uint64_t line_transfer(uint32_t, unsigned, bool write) override {
    ++(write ? line_writes : line_reads);
    return kLineCycles;
  }

  std::vector<uint8_t> ram;
  rv32::Hart hart;
  uint64_t line_reads = 0, line_writes = 0;

 private:
  enum Register { kScratch, kLines, kRaiseMask, kRaiseAfter };

  uint32_t* device_register(uint32_t address, unsigned size) {
    const uint32_t offset = address - kDevice;
    if (offset >= kDeviceBytes || size != 4 || (offset & 3)) return nullptr;
    return &registers_[offset / 4];
  }
  void device_written(uint32_t offset) {
    if (offset / 4 == kLines) set_lines(registers_[kLines]);
    if (offset / 4 == kRaiseAfter) raise_at_ = hart.cycles() + registers_[kRaiseAfter];
  }
  // Lines are sampled like the SystemC host does after a device access.
  void set_lines(uint32_t lines) {
    registers_[kLines] = lines;
    hart.set_interrupt_lines(lines & 1, lines & 2);
    if (hart.interrupt_ready()) hart.set_budget_end(0);
  }
  void raise_due_lines() {
    if (raise_at_ && hart.cycles() >= *raise_at_) {
      raise_at_.reset();
      set_lines(registers_[kLines] | registers_[kRaiseMask]);
    }
  }

  bool dmi_;
  uint32_t registers_[kDeviceBytes / 4] = {};
  std::optional<uint64_t> raise_at_;
  std::optional<ElfImage> symbols_;
};

}  // namespace dlvp::test
