// Energy attribution of TLM traffic: a payload extension carrying the ledger tag a transaction's
// energy belongs to (a layer, a job), and the shared naming of layer tags.
//
// The initiator that knows what a transaction is for (the DMA, for the IFU's LOAD/STORE) attaches
// one EnergyTagExtension to each payload it owns, once, and only rewrites its tag per job. Every
// module that counts energy for the transaction (bus beats, DDR commands and bursts, SRAM
// accesses) reads it with energy_tag_of() and counts with EnergyLedger::count_tagged. The
// extension is ignorable: a module that does not know it still works, its counts stay untagged.
// See docs/energy.md.
#pragma once
#include "energy_ledger.h"

#include <tlm>

#include <cstdint>
#include <string>

namespace dlvp {

struct EnergyTagExtension : tlm::tlm_extension<EnergyTagExtension> {
  TagId tag = kUntagged;

  explicit EnergyTagExtension(TagId t = kUntagged) : tag(t) {}
  tlm::tlm_extension_base* clone() const override { return new EnergyTagExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    tag = static_cast<const EnergyTagExtension&>(other).tag;
  }
};

// The tag to count `trans`'s energy under: the payload's, or the ledger's current tag when the
// payload carries none (exactly what count() would use).
inline TagId energy_tag_of(const tlm::tlm_generic_payload& trans, const EnergyLedger& ledger) {
  const auto* extension = trans.get_extension<EnergyTagExtension>();
  return ledger.tag_or_current(extension ? extension->tag : kUntagged);
}

// A program picks its layer numbers (isa Header.tag): past kMaxLayerTags distinct ones, layers not
// seen before are all counted as layer kOverflowLayer, so that no program grows the ledger (a row
// of counts per tag), the engines' per-layer statistics or the reports without bound.
constexpr size_t kMaxLayerTags = 4096;
constexpr uint32_t kOverflowLayer = 0xFFFFFFFF;

// The ledger tag of layer `layer`: "layer<layer>", or "layer<layer>@0x<program>" for the layer of
// the program at `program` (the IFU's INSTR_BASE), so that two packages in one run keep their layers
// apart. The IFU resolves it once per instruction and hands it to the compute engine and the DMA;
// an engine used without an IFU resolves the bare "layer<layer>". Past kMaxLayerTags layer tags,
// new ones are all counted as the program-less "layer<kOverflowLayer>".
inline std::string layer_tag_name(uint32_t layer) { return "layer" + std::to_string(layer); }
std::string layer_tag_name(uint64_t program, uint32_t layer);
TagId layer_tag(EnergyLedger& ledger, uint32_t layer);
TagId layer_tag(EnergyLedger& ledger, uint64_t program, uint32_t layer);

}  // namespace dlvp
