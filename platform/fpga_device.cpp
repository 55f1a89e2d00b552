#include "platform/fpga_device.h"

#include "ip/common/config_error.h"
#include "ip/common/yaml_file.h"

#include <set>

namespace dlvp {
namespace {

uint64_t count(const std::string& path, const YAML::Node& root, const char* key, uint64_t max_value) {
  const YAML::Node node = root[key];
  if (!node) throw ConfigError(path + ": key '" + key + "' is required");
  try {
    const uint64_t v = node.as<uint64_t>();
    if (v < 1 || v > max_value)
      throw ConfigError(yaml_origin(path, node) + ": key '" + key + "' must be in [1, " + std::to_string(max_value) + "]");
    return v;
  } catch (const YAML::Exception&) {
    throw ConfigError(yaml_origin(path, node) + ": key '" + key + "' must be a positive integer");
  }
}

std::string text(const std::string& path, const YAML::Node& root, const char* key) {
  const YAML::Node node = root[key];
  if (!node || !node.IsScalar()) throw ConfigError(path + ": key '" + key + "' is required (text)");
  return node.Scalar();
}

}  // namespace

FpgaDevice FpgaDevice::load(const std::string& path) {
  const YAML::Node root = load_yaml_map(path, "FPGA device");
  static const std::set<std::string> known = {"name", "family", "luts", "flip_flops", "bram36", "dsp_slices",
                                              "dsp_multiplier_bits", "source"};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key))
      throw ConfigError(yaml_origin(path, kv.first) + ": unknown key '" + key +
                        "' (known: name, family, luts, flip_flops, bram36, dsp_slices, dsp_multiplier_bits, source)");
  }
  FpgaDevice d;
  d.path = path;
  d.name = text(path, root, "name");
  d.family = text(path, root, "family");
  d.source = text(path, root, "source");
  constexpr uint64_t kMaxResource = uint64_t{1} << 32;  // far above any device; keeps sums exact
  d.luts = count(path, root, "luts", kMaxResource);
  d.flip_flops = count(path, root, "flip_flops", kMaxResource);
  d.bram36 = count(path, root, "bram36", kMaxResource);
  d.dsp_slices = count(path, root, "dsp_slices", kMaxResource);
  const YAML::Node bits = root["dsp_multiplier_bits"];
  if (!bits || !bits.IsSequence() || bits.size() != 2)
    throw ConfigError(path + ": key 'dsp_multiplier_bits' must be [A, B], the DSP slice's multiplier widths");
  for (size_t i = 0; i < 2; ++i) {
    uint64_t v = 0;
    try {
      v = bits[i].as<uint64_t>();
    } catch (const YAML::Exception&) {
    }
    if (v < 2 || v > 64)
      throw ConfigError(yaml_origin(path, bits[i]) + ": key 'dsp_multiplier_bits' values must be integers in [2, 64]");
    (i == 0 ? d.dsp_a_bits : d.dsp_b_bits) = static_cast<uint32_t>(v);
  }
  return d;
}

}  // namespace dlvp
