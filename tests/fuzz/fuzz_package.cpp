// Fuzz target: any bytes as a model package, through both of its readers.
//  - The host-side reader (platform/package_file: the shared validation, the checksum, the layer
//    records, the optional prediction and whole-name sections), then what the reports do with an
//    accepted package: every layer name (the record's and the whole one) and the origin's texts
//    into JSON, dumped, and the prediction's times (adding up to the predicted job); its recorded hardware compared with itself (no difference but a
//    recorded DDR too small for the package) and with another platform (platform/hardware_binding.h);
//    each CPU stage's operation (platform/cpu_ops.h) run on buffers of exactly its tensors' sizes,
//    so that a validated stage that indexes outside them is caught (under AddressSanitizer).
//  - The driver (sw/driver/accel_driver) on a HostSoc whose DDR is exactly the input and whose
//    engines are what the header asks for (so that only the package can be refused), then what the
//    apps do with an accepted package: every layer record, the job tensors' placement.
// Each input is tried as given and with its checksum recomputed (when its header's total_bytes lies
// inside it), so that mutations reach the checks behind the checksum. A refusal naming the problem
// is the only acceptable failure: another exception, a crash, a read outside the input (the HostSoc
// aborts on the bus fault) or the driver accepting what the shared validation refuses is a bug.
#include "ip/common/config_error.h"
#include "platform/cpu_ops.h"
#include "platform/hardware_binding.h"
#include "platform/package_file.h"
#include "sw/driver/accel_driver.h"
#include "tests/support/host_soc.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace dlvp;

uint64_t tensor_bytes(const package::CpuTensor& t) { return uint64_t{t.c} * t.h * t.w * t.element_bytes; }

void run_cpu_stages(const package::PackageContents& c) {
  for (const package::StageRecord& s : c.stages) {
    if (s.kind != package::kStageCpu) continue;
    std::vector<std::vector<uint8_t>> in(cpu::input_count(s.op));
    for (size_t i = 0; i < in.size(); ++i) in[i].assign(tensor_bytes(s.inputs[i]), 0x5A);
    std::vector<uint8_t> out(tensor_bytes(s.output));
    const uint8_t* inputs[2] = {in[0].data(), in.size() > 1 ? in[1].data() : nullptr};
    cpu::run(s, inputs, out.data());
  }
}

// The host-side reader; "" when it accepts the package.
std::string host_reader(const std::vector<uint8_t>& bytes) {
  try {
    const package::PackageContents c = package::read_package(bytes, "input");
    nlohmann::json names = nlohmann::json::array();
    for (const package::LayerRecord& r : c.layers) names.push_back(package::layer_name(r));
    uint64_t predicted = 0;
    for (uint32_t i = 0; i < c.header.layer_count; ++i) {
      names.push_back(package::layer_name(c, i));
      if (i < c.predictions.size()) predicted += c.predictions[i].time_ps;
    }
    if (!c.predictions.empty() && predicted != c.header.predicted_job_ps) std::abort();
    run_cpu_stages(c);
    const package::PackageOrigin& o = c.header.origin;
    for (const char* text : {o.producer, o.model_file, o.hardware_file, o.hardware_overrides, o.options})
      names.push_back(text);
    (void)names.dump();  // throws on ill-formed UTF-8
    package::ParameterList list;
    package::compare_hardware(c.header, package::recorded_hardware(c.header), &list);
    // On its own recorded hardware a package differs at most by not fitting the DDR it records.
    if (list.count > 1 || (list.count == 1 && std::strcmp(list.items[0].key, "ddr.size_bytes") != 0)) std::abort();
    package::HardwareAtHand other;
    other.has_cnn = other.has_lstm = true;
    other.platform.ddr_size_bytes = 1;
    package::compare_hardware(c.header, other, &list);
    if (list.count > package::kMaxParameters) std::abort();
    return "";
  } catch (const ConfigError& e) {
    return e.what();
  }
}

// The driver; nullptr when it accepts the package.
const char* driver(const std::vector<uint8_t>& bytes, drv::Accelerator& accel, test::HostSoc& soc) {
  package::PackageHeader h{};
  if (!bytes.empty()) std::memcpy(&h, bytes.data(), std::min(bytes.size(), sizeof h));
  soc.add_accelerator(h.hardware, h.lstm);
  soc.attach();
  if (!accel.init(nullptr)) return "no engine";
  const char* problem = accel.open_package(soc::kDdrBase);
  if (problem) return problem;
  for (uint32_t i = 0; i < accel.header().layer_count; ++i)
    if (std::strlen(accel.layer(i).name) >= sizeof(package::LayerRecord::name)) std::abort();
  drv::JobTensors t;
  for (const uint64_t free : {accel.ddr_base(), accel.ddr_end()})
    for (const bool test_input : {false, true}) (void)accel.place_job_tensors(free, test_input, &t);
  return nullptr;
}

void check(const std::vector<uint8_t>& bytes) {
  const std::string host_problem = host_reader(bytes);
  test::HostSoc soc(bytes);
  drv::Accelerator accel;
  const char* driver_problem = driver(bytes, accel, soc);
  if (!host_problem.empty() && !driver_problem) {
    std::fprintf(stderr, "the driver accepts a package the host-side reader refuses: %s\n", host_problem.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  check(bytes);
  package::PackageHeader h;
  if (size < sizeof h) return 0;
  std::memcpy(&h, data, sizeof h);
  if (h.total_bytes < sizeof h || h.total_bytes > size) return 0;
  package::seal(bytes.data(), h.total_bytes);
  check(bytes);
  return 0;
}
