// A SoC for running sw/ code (the drivers) on the host without the simulator: the native HAL's
// host-operations table (ip/cpu/native_abi.h) over a byte array as DDR at soc::kDdrBase and a
// system controller whose device table lists DDR and the devices added, each a set of registers
// with fixed values (writes are kept). Any other access is a bus error, as on the SoC. The program's
// end (hal::exit, which also follows a bus fault) aborts the process: the code under test must
// return, never fault. For the driver's unit tests and the package fuzz target.
#pragma once
#include "ip/cnn/cnn_regs.h"
#include "ip/ifu/ifu_regs.h"
#include "ip/lstm/lstm_regs.h"
#include "ip/periph/sysctl_regs.h"
#include "platform/model_package.h"
#include "ip/common/soc_map.h"
#include "sw/hal/native/hal_native.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

namespace dlvp::test {

class HostSoc {
 public:
  explicit HostSoc(std::vector<uint8_t> ddr) : ddr_(std::move(ddr)) {
    devices_.push_back({soc::kDevDdr, soc::kDdrBase, ddr_.size(), soc::kNoIrq});
    ops_ = {DLVP_HOST_ABI_VERSION, this, &HostSoc::read, &HostSoc::write, &HostSoc::wait_for_interrupt,
            &HostSoc::spend_cycles, &HostSoc::pending_interrupts};
  }
  HostSoc(const HostSoc&) = delete;
  HostSoc& operator=(const HostSoc&) = delete;

  // A device at `base` (register window soc::kRegisterWindowBytes) with these registers' values.
  // The system controller's CPU_STAGE writes the driver made: (CPU_STAGE_LAYER, the mark).
  std::vector<std::pair<uint32_t, uint32_t>> cpu_stage_marks;

  void add_device(uint32_t id, uint64_t base, const std::map<uint32_t, uint64_t>& registers) {
    devices_.push_back({id, base, soc::kRegisterWindowBytes, soc::kNoIrq});
    for (const auto& [offset, value] : registers) registers_[base + offset] = value;
  }

  // The IFU (no interrupt line) and both engines, configured as `hw` and `lstm` ask (a package
  // needing them fits; PEs 0: that engine is left out).
  void add_accelerator(const package::HardwareRequirements& hw, const package::LstmRequirements& lstm) {
    add_device(soc::kDevIfu, 0x10020000, {{ifu::VERSION, isa::kVersion}});
    if (hw.pes != 0)
      add_device(soc::kDevCnn, 0x10030000,
                 {{cnn_regs::PES, hw.pes}, {cnn_regs::CONVOLVERS, hw.convolvers}, {cnn_regs::KERNEL, hw.kernel},
                  {cnn_regs::CLOCK_KHZ, 200000}, {cnn_regs::INPUT_BUFFER_BYTES, hw.input_buffer_bytes},
                  {cnn_regs::WEIGHT_BUFFER_BYTES, hw.weight_buffer_bytes},
                  {cnn_regs::OUTPUT_BUFFER_BYTES, hw.output_buffer_bytes},
                  {cnn_regs::ACCUMULATOR_BITS, hw.accumulator_bits}});
    if (lstm.pes != 0)
      add_device(soc::kDevLstm, 0x10040000,
                 {{lstm_regs::PES, lstm.pes}, {lstm_regs::CLOCK_KHZ, 200000},
                  {lstm_regs::ACCUMULATOR_BITS, lstm.accumulator_bits},
                  {lstm_regs::WEIGHT_MEMORY_BYTES, lstm.weight_memory_bytes},
                  {lstm_regs::VECTOR_BUFFER_BYTES, lstm.vector_buffer_bytes}});
  }

  // Makes the native HAL go through this SoC.
  void attach() { hal::native::attach(&ops_); }
  std::vector<uint8_t>& ddr() { return ddr_; }

 private:
  struct Device {
    uint32_t id;
    uint64_t base, size;
    uint32_t irq;
  };

  static HostSoc& self(void* context) { return *static_cast<HostSoc*>(context); }

  // The DDR bytes [address, address + length), or nullptr when they are not all in DDR.
  uint8_t* ddr_at(uint64_t address, size_t length) {
    const uint64_t offset = address - soc::kDdrBase;
    if (address < soc::kDdrBase || offset > ddr_.size() || length > ddr_.size() - offset) return nullptr;
    return ddr_.data() + offset;
  }

  // A register of the system controller's table or of a device; false when there is none.
  bool read_register(uint64_t address, uint64_t* value) {
    const Device* selected = select_ < devices_.size() ? &devices_[select_] : nullptr;
    switch (static_cast<int64_t>(address - soc::kSysctlBase)) {
      case sysctl::ID: *value = sysctl::kMagic; return true;
      case sysctl::DEVICE_COUNT: *value = devices_.size(); return true;
      case sysctl::DEVICE_SELECT: *value = select_; return true;
      case sysctl::DEVICE_ID: *value = selected ? selected->id : soc::kDevNone; return true;
      case sysctl::DEVICE_IRQ: *value = selected ? selected->irq : soc::kNoIrq; return true;
      case sysctl::DEVICE_BASE: *value = selected ? selected->base : 0; return true;
      case sysctl::DEVICE_SIZE: *value = selected ? selected->size : 0; return true;
      default: break;
    }
    const auto r = registers_.find(address);
    if (r == registers_.end()) return false;
    *value = r->second;
    return true;
  }

  static dlvp_access_status read(void* context, uint64_t address, void* data, size_t length) {
    HostSoc& s = self(context);
    if (const uint8_t* bytes = s.ddr_at(address, length)) {
      std::memcpy(data, bytes, length);
      return 0;
    }
    uint64_t value = 0;
    if ((length != 4 && length != 8) || !s.read_register(address, &value)) return -1;
    std::memcpy(data, &value, length);  // little-endian, as the SoC
    return 0;
  }

  static dlvp_access_status write(void* context, uint64_t address, const void* data, size_t length) {
    HostSoc& s = self(context);
    if (uint8_t* bytes = s.ddr_at(address, length)) {
      std::memcpy(bytes, data, length);
      return 0;
    }
    uint64_t value = 0;
    if (length != 4 && length != 8) return -1;
    std::memcpy(&value, data, length);
    if (address == soc::kSysctlBase + sysctl::EXIT) {
      std::fprintf(stderr, "HostSoc: the program exited with %llu (a bus fault exits with 0xBE)\n",
                   static_cast<unsigned long long>(value));
      std::abort();
    }
    if (address == soc::kSysctlBase + sysctl::DEVICE_SELECT) {
      s.select_ = static_cast<uint32_t>(value);
      return 0;
    }
    // CPUC: the CPU stage marks, kept in order (the layer and BEGIN or END).
    if (address == soc::kSysctlBase + sysctl::CPU_STAGE_PACKAGE) return 0;
    if (address == soc::kSysctlBase + sysctl::CPU_STAGE_LAYER) {
      s.mark_layer_ = static_cast<uint32_t>(value);
      return 0;
    }
    if (address == soc::kSysctlBase + sysctl::CPU_STAGE) {
      s.cpu_stage_marks.push_back({s.mark_layer_, static_cast<uint32_t>(value)});
      return 0;
    }
    const auto r = s.registers_.find(address);
    if (r == s.registers_.end()) return -1;
    r->second = value;
    return 0;
  }

  static void wait_for_interrupt(void*, uint32_t) {
    std::fprintf(stderr, "HostSoc: the program waits for an interrupt, which never comes here\n");
    std::abort();
  }
  static void spend_cycles(void*, uint64_t) {}
  static uint32_t pending_interrupts(void*) { return 0; }  // no device raises one here

  std::vector<uint8_t> ddr_;
  std::vector<Device> devices_;
  std::map<uint64_t, uint64_t> registers_;
  uint32_t select_ = 0;
  uint32_t mark_layer_ = 0;
  dlvp_host_ops ops_{};
};

}  // namespace dlvp::test
