#include "sysctl.h"

#include "ip/common/log.h"
#include "ip/periph/sysctl_regs.h"
#include "ip/common/soc_map.h"

#include <stdexcept>

namespace dlvp {

void SysctlConfig::bind(ParamBinder& b, SysctlConfig& c) { RegisterTiming::bind(b, c.timing); }

Sysctl::Sysctl(sc_core::sc_module_name name, const SysctlConfig& config)
    : sc_module(name), socket("socket"), config_(config), bank_(this->name(), soc::kRegisterWindowBytes) {
  socket.register_b_transport(this, &Sysctl::b_transport);
  socket.register_transport_dbg(this, &Sysctl::transport_dbg);
  bank_.add_all(sysctl::kRegisters);
  bank_.on_write(sysctl::EXIT, [this](uint64_t, uint64_t code) { on_exit(static_cast<uint32_t>(code)); });
  bank_.on_read(sysctl::DEVICE_COUNT, [this](uint64_t) { return devices_.size(); });
  bank_.on_read(sysctl::DEVICE_ID, [this](uint64_t) { return selected().id; });
  bank_.on_read(sysctl::DEVICE_BASE, [this](uint64_t) { return selected().base; });
  bank_.on_read(sysctl::DEVICE_SIZE, [this](uint64_t) { return selected().size; });
  bank_.on_read(sysctl::DEVICE_IRQ, [this](uint64_t) { return selected().irq; });
}

void Sysctl::add_device(uint32_t id, uint64_t base, uint64_t size, uint32_t irq) {
  if (size == 0 || base + size - 1 < base)
    throw std::invalid_argument(std::string(name()) + ": device " + std::to_string(id) +
                                " has an empty or wrapping address window");
  devices_.push_back(Device{id, base, size, irq});
}

void Sysctl::set_boot_arg(uint32_t index, uint64_t value) {
  if (index >= sysctl::kBootArgs) throw std::out_of_range(std::string(name()) + ": boot argument index " + std::to_string(index));
  bank_.set(sysctl::boot_arg_reg(index), value);
}

Sysctl::Device Sysctl::selected() const {
  const uint64_t index = bank_.get(sysctl::DEVICE_SELECT);
  if (index < devices_.size()) return devices_[index];
  return Device{soc::kDevNone, 0, 0, soc::kNoIrq};
}

void Sysctl::on_exit(uint32_t code) {
  if (exit_requested_) {
    // The first status stands: the simulation is already stopping.
    ++ignored_exits_;
    return;
  }
  exit_requested_ = true;
  exit_code_ = code;
  exit_time_ = access_time_;
  DLVP_LOG_INFO(name(), "software exit with status " << code << " at " << exit_time_);
  sc_core::sc_stop();
}

void Sysctl::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  access_time_ = sc_core::sc_time_stamp() + delay;
  bank_.b_transport(trans, delay);
  delay += config_.timing.access_delay();
  access_stats_.count(trans);
}

unsigned int Sysctl::transport_dbg(tlm::tlm_generic_payload& trans) {
  access_time_ = sc_core::sc_time_stamp();
  return bank_.transport_dbg(trans);  // debug writes to EXIT do not stop the simulation
}

void Sysctl::report(nlohmann::json& out, double) const {
  out["devices"] = devices_.size();
  out["exit_requested"] = exit_requested_;
  if (exit_requested_) {
    out["exit_code"] = exit_code_;
    out["exit_time_ns"] = exit_time_.to_seconds() * 1e9;
  }
  out["ignored_exits"] = ignored_exits_;
  access_stats_.report(out);
}

}  // namespace dlvp
