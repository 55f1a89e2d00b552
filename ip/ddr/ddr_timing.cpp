#include "ddr_timing.h"

#include "ip/common/config_error.h"
#include "ip/common/yaml_file.h"

#include <yaml-cpp/yaml.h>

#include <functional>

namespace dlvp {

void DdrTiming::bind(ParamBinder& b, DdrTiming& t) {
  b.text("name", t.name, "preset name, as scenarios refer to it (ddr.preset)");
  b.integer("tCK_ps", t.tCK_ps, "ps", "clock period tCK", 100, 100000);
  b.integer("burst_length", t.burst_length, "beats", "data beats per burst (BL)", 1, 32);
  b.integer("data_rate", t.data_rate, "beats/cycle", "data transfers per clock (2 for DDR)", 1, 4);
  b.integer("bank_groups", t.bank_groups, "", "bank groups per device (1 when it has none)", 1, 16);
  b.integer("banks", t.banks, "", "banks per device, all bank groups together", 1, 256);
  b.integer("rows", t.rows, "", "rows per bank", 1, uint64_t(1) << 24);
  b.integer("columns", t.columns, "", "columns per row, in device-width words", 1, 1u << 16);
  b.integer("device_width_bits", t.device_width_bits, "bits", "data width of one device", 4, 64);
  b.integer("bus_width_bits", t.bus_width_bits, "bits", "channel data bus width (devices per rank = bus / device width)",
            8, 1024);
  struct CycleParam { const char* key; uint32_t* field; const char* description; };
  const CycleParam cycle_params[] = {
      {"CL", &t.CL, "read CAS latency: read command to first data"},
      {"CWL", &t.CWL, "CAS write latency: write command to first data"},
      {"tRCD", &t.tRCD, "activate to read/write command"},
      {"tRP", &t.tRP, "precharge to activate of the same bank"},
      {"tRAS", &t.tRAS, "activate to precharge of the same bank"},
      {"tRC", &t.tRC, "activate to activate of the same bank"},
      {"tFAW", &t.tFAW, "window in which a rank may receive at most four activates"},
      {"tWR", &t.tWR, "end of write data to precharge (write recovery)"},
      {"tWTR_L", &t.tWTR_L, "end of write data to read command, same bank group"},
      {"tWTR_S", &t.tWTR_S, "end of write data to read command, other bank group"},
      {"tRTP", &t.tRTP, "read command to precharge"},
      {"tRRD_L", &t.tRRD_L, "activate to activate of another bank, same bank group"},
      {"tRRD_S", &t.tRRD_S, "activate to activate of another bank, other bank group"},
      {"tCCD_L", &t.tCCD_L, "column command to column command, same bank group"},
      {"tCCD_S", &t.tCCD_S, "column command to column command, other bank group"},
      {"tRFC", &t.tRFC, "refresh command duration: the rank is unavailable"},
  };
  for (const CycleParam& p : cycle_params) b.integer(p.key, *p.field, "cycles", p.description, 1, 100000);
  b.integer("tREFI", t.tREFI, "cycles", "average refresh interval", 1, 10000000);
  const CycleParam power_cycle_params[] = {
      {"tCKE", &t.tCKE, "minimum time in power-down (CKE low)"},
      {"tXP", &t.tXP, "power-down exit to the next command (DLL on)"},
      {"tCKESR", &t.tCKESR, "minimum time in self-refresh"},
      {"tXS", &t.tXS, "self-refresh exit to a command not needing the DLL"},
      {"tXSDLL", &t.tXSDLL, "self-refresh exit to a read (DLL relock)"},
  };
  for (const CycleParam& p : power_cycle_params) b.integer(p.key, *p.field, "cycles", p.description, 1, 100000);
  b.integer("tXPDLL", t.tXPDLL, "cycles",
            "DLL-off precharge power-down exit to a read; 0: the device has no DLL-off power-down", 0, 100000);
  b.real("VDD", t.VDD, "V", "supply voltage", 0.5, 5.0);
  struct CurrentParam { const char* key; double* field; const char* description; };
  const CurrentParam current_params[] = {
      {"IDD0", &t.IDD0, "activate-precharge current, one bank cycling at tRC"},
      {"IDD2N", &t.IDD2N, "precharge standby current (all banks closed)"},
      {"IDD3N", &t.IDD3N, "active standby current (a row open)"},
      {"IDD4R", &t.IDD4R, "burst read current"},
      {"IDD4W", &t.IDD4W, "burst write current"},
      {"IDD5", &t.IDD5, "burst refresh current"},
      {"IDD2P0", &t.IDD2P0, "precharge power-down current, DLL off (slow exit); 0: the device has none"},
      {"IDD2P1", &t.IDD2P1, "precharge power-down current, DLL on (fast exit)"},
      {"IDD3P", &t.IDD3P, "active power-down current"},
      {"IDD6", &t.IDD6, "self-refresh current"},
  };
  for (const CurrentParam& p : current_params) b.real(p.key, *p.field, "mA", p.description, 0.0, 10000.0);
}

namespace {

// The key node itself (it carries the line number), if the map has that key.
bool find_key(const YAML::Node& root, const std::string& key, YAML::Node& key_node) {
  for (const auto& kv : root) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      key_node = kv.first;
      return true;
    }
  }
  return false;
}

// "path:line" of a key in the preset file, or just the path when the key is absent.
std::string key_origin(const YAML::Node& root, const std::string& path, const std::string& key) {
  YAML::Node key_node;
  if (!find_key(root, key, key_node) || key_node.Mark().is_null()) return path;
  return path + ":" + std::to_string(key_node.Mark().line + 1);
}

// Relations between keys that ranges alone cannot express.
void check_consistency(const DdrTiming& t, const std::function<std::string(const std::string&)>& origin) {
  auto fail = [&origin](const std::string& key, const std::string& what) {
    throw ConfigError(origin(key) + ": key '" + key + "' " + what);
  };
  if (t.banks % t.bank_groups != 0) fail("banks", "= " + std::to_string(t.banks) + " is not a multiple of bank_groups");
  if (t.bus_width_bits % 8 != 0) fail("bus_width_bits", "must be a multiple of 8");
  if (t.bus_width_bits % t.device_width_bits != 0)
    fail("bus_width_bits", "= " + std::to_string(t.bus_width_bits) + " is not a multiple of device_width_bits");
  if (t.columns % t.burst_length != 0) fail("columns", "must be a multiple of burst_length");
  const std::pair<const char*, double> above_idd3n[] = {
      {"IDD0", t.IDD0}, {"IDD4R", t.IDD4R}, {"IDD4W", t.IDD4W}, {"IDD5", t.IDD5}};
  for (const auto& [key, current] : above_idd3n)
    if (current < t.IDD3N) fail(key, "must not be below IDD3N (the energy above standby would be negative)");
  if (t.IDD3N < t.IDD2N) fail("IDD3N", "must not be below IDD2N");
  if (t.IDD0 < t.IDD2N) fail("IDD0", "must not be below IDD2N");
  // A low-power state draws less than the standby it replaces (else the energy saved is negative).
  if (t.IDD2P1 > t.IDD2N) fail("IDD2P1", "must not be above IDD2N");
  if (t.IDD2P0 > t.IDD2P1) fail("IDD2P0", "must not be above IDD2P1 (the DLL is off)");
  if (t.IDD3P > t.IDD3N) fail("IDD3P", "must not be above IDD3N");
  if (t.IDD6 > t.IDD2N) fail("IDD6", "must not be above IDD2N");
  if ((t.IDD2P0 == 0) != (t.tXPDLL == 0)) fail("tXPDLL", "and IDD2P0 must both be 0 (no DLL-off power-down) or both be given");
  // A refresh interval must leave room for a full command sequence between refreshes.
  const uint64_t min_refi = uint64_t(t.tRFC) + 2 * (uint64_t(t.tRC) + t.tRP + t.tRCD + t.CL + t.CWL + t.tFAW + t.tWR);
  if (t.tREFI < min_refi) fail("tREFI", "must be at least " + std::to_string(min_refi) + " cycles (tRFC plus two activate cycles)");
}

}  // namespace

DdrTiming DdrTiming::load(const std::string& path) {
  const YAML::Node root = load_yaml_map(path, "DDR preset");
  auto origin = [root, path](const std::string& key) { return key_origin(root, path, key); };
  DdrTiming timing;
  ParamBinder binder(root, "", origin);
  bind(binder, timing);
  binder.finish();
  for (const ParamBinder::Entry& entry : binder.entries()) {
    YAML::Node key_node;
    if (!find_key(root, entry.key, key_node))
      throw ConfigError(path + ": missing key '" + entry.key + "' (" + entry.description +
                        "); a DDR preset must give every parameter");
  }
  check_consistency(timing, origin);
  return timing;
}

}  // namespace dlvp
