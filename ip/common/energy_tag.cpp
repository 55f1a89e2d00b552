#include "energy_tag.h"

#include <cstdio>

namespace dlvp {
namespace {

TagId bounded_layer_tag(EnergyLedger& ledger, const std::string& name) {
  if (const auto known = ledger.find_tag(name)) return *known;
  const size_t named = ledger.tag_count() - 1;  // all but "untagged"
  return ledger.tag_named(named < kMaxLayerTags ? name : layer_tag_name(kOverflowLayer));
}

}  // namespace

std::string layer_tag_name(uint64_t program, uint32_t layer) {
  char base[24];
  std::snprintf(base, sizeof base, "@0x%llx", static_cast<unsigned long long>(program));
  return layer_tag_name(layer) + base;
}

TagId layer_tag(EnergyLedger& ledger, uint32_t layer) { return bounded_layer_tag(ledger, layer_tag_name(layer)); }

TagId layer_tag(EnergyLedger& ledger, uint64_t program, uint32_t layer) {
  return bounded_layer_tag(ledger, layer_tag_name(program, layer));
}

}  // namespace dlvp
