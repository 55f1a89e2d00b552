#include "sysctl.h"

#include "ip/common/log.h"
#include "ip/common/utf8.h"
#include "ip/periph/sysctl_regs.h"
#include "ip/common/soc_map.h"

#include <algorithm>
#include <cstring>
#include <sstream>
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
  bank_.on_write(sysctl::RESULT_COMMIT, [this](uint64_t, uint64_t) { on_result_commit(); });
  bank_.on_read(sysctl::RESULT_COUNT, [this](uint64_t) { return results_.size(); });
  bank_.on_write(sysctl::CPU_STAGE, [this](uint64_t, uint64_t mark) { on_cpu_stage(mark); });
}

void Sysctl::on_cpu_stage(uint64_t mark) {
  const uint64_t package = bank_.get(sysctl::CPU_STAGE_PACKAGE);
  const auto layer = static_cast<uint32_t>(bank_.get(sysctl::CPU_STAGE_LAYER));
  if (mark == sysctl::kCpuStageBegin) cpu_stages_.begin(package, layer, access_time_);
  else if (mark == sysctl::kCpuStageEnd) cpu_stages_.end(package, layer, access_time_);
  else DLVP_LOG_WARN_LIMITED(name(), "guest error: CPU_STAGE written with " << mark << " (expected BEGIN 1 or END 2)");
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

bool Sysctl::read_guest_text(uint64_t address, std::string* text) const {
  const auto ddr = std::find_if(devices_.begin(), devices_.end(), [](const Device& d) { return d.id == soc::kDevDdr; });
  if (!guest_reader_ || ddr == devices_.end() || address < ddr->base || address - ddr->base >= ddr->size) return false;
  uint8_t bytes[sysctl::kResultTextMaxBytes + 1];
  const auto wanted = static_cast<unsigned>(std::min<uint64_t>(sizeof bytes, ddr->size - (address - ddr->base)));
  const unsigned got = std::min(guest_reader_(address, bytes, wanted), wanted);
  const auto* end = static_cast<const uint8_t*>(std::memchr(bytes, 0, got));
  if (!end) return false;  // no NUL within the limit (or before the end of DDR)
  const std::string_view candidate(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
  if (utf8::printable(candidate) != candidate) return false;  // ill-formed UTF-8 or control characters
  *text = std::string(candidate);
  return true;
}

uint32_t Sysctl::commit_result() {
  AppResult r;
  const uint64_t name_address = bank_.get(sysctl::RESULT_NAME), unit_address = bank_.get(sysctl::RESULT_UNIT);
  if (!read_guest_text(name_address, &r.name) || r.name.empty()) return sysctl::kResultBadName;
  if (unit_address != 0 && !read_guest_text(unit_address, &r.unit)) return sysctl::kResultBadUnit;
  r.mantissa = static_cast<int64_t>(bank_.get(sysctl::RESULT_VALUE));
  r.exponent = static_cast<int32_t>(static_cast<uint32_t>(bank_.get(sysctl::RESULT_EXPONENT)));
  if (r.exponent < sysctl::kResultExponentMin || r.exponent > sysctl::kResultExponentMax) return sysctl::kResultBadExponent;
  const auto same = std::find_if(results_.begin(), results_.end(), [&](const AppResult& a) { return a.name == r.name; });
  if (same != results_.end()) {
    *same = std::move(r);
    return sysctl::kResultOk;
  }
  if (results_.size() >= sysctl::kMaxResults) return sysctl::kResultFull;
  results_.push_back(std::move(r));
  return sysctl::kResultOk;
}

void Sysctl::on_result_commit() {
  const uint32_t status = commit_result();
  bank_.set(sysctl::RESULT_STATUS, status);
  if (status == sysctl::kResultOk) return;
  if (status == sysctl::kResultFull) {
    if (results_dropped_++ == 0)
      DLVP_LOG_WARN_LIMITED(name(), "app result table full (" << sysctl::kMaxResults
                                                              << " names): further new results are counted, not kept");
    return;
  }
  ++results_refused_;
  std::ostringstream why;
  if (status == sysctl::kResultBadExponent)
    why << "exponent " << static_cast<int32_t>(static_cast<uint32_t>(bank_.get(sysctl::RESULT_EXPONENT))) << " is outside "
        << sysctl::kResultExponentMin << ".." << sysctl::kResultExponentMax;
  else
    why << (status == sysctl::kResultBadName ? "RESULT_NAME 0x" : "RESULT_UNIT 0x") << std::hex
        << bank_.get(status == sysctl::kResultBadName ? sysctl::RESULT_NAME : sysctl::RESULT_UNIT) << std::dec
        << " is not a NUL-terminated string of " << (status == sysctl::kResultBadName ? "1" : "0") << ".."
        << sysctl::kResultTextMaxBytes << " bytes of printable UTF-8 in DDR";
  DLVP_LOG_WARN_LIMITED(name(), "guest error: RESULT_COMMIT refused (status " << status << "): " << why.str());
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
  out["app_results"] = results_.size();
  out["app_results_dropped"] = results_dropped_;
  out["app_results_refused"] = results_refused_;
  cpu_stages_.report(out);
  access_stats_.report(out);
}

}  // namespace dlvp
