// Small TLM helpers shared by all IP: clock domains, payload setup, the DMI accounting extension.
#pragma once
#include "energy_ledger.h"
#include "range_check.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>

namespace dlvp {

// A clock domain: converts cycles to time. Period is exact in ps (SystemC's default resolution).
struct ClockDomain {
  double mhz = 100.0;
  sc_core::sc_time period = sc_core::sc_time(10, sc_core::SC_NS);

  ClockDomain() = default;
  explicit ClockDomain(double frequency_mhz)
      : mhz(frequency_mhz), period(sc_core::sc_time(1e6 / frequency_mhz, sc_core::SC_PS)) {}
  sc_core::sc_time cycles(uint64_t n) const { return period * static_cast<double>(n); }
  // Number of whole cycles that fit in t, rounded up (time to cycle count).
  uint64_t to_cycles(const sc_core::sc_time& t) const {
    const double c = t / period;
    const auto whole = static_cast<uint64_t>(c);
    return (static_cast<double>(whole) < c - 1e-9) ? whole + 1 : whole;
  }
};

inline void setup_payload(tlm::tlm_generic_payload& trans, tlm::tlm_command command, uint64_t address,
                          unsigned char* data, unsigned int length) {
  trans.set_command(command);
  trans.set_address(address);
  trans.set_data_ptr(data);
  trans.set_data_length(length);
  trans.set_streaming_width(length);
  trans.set_byte_enable_ptr(nullptr);
  trans.set_byte_enable_length(0);
  trans.set_dmi_allowed(false);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// True when the DMI region `dmi` holds all `length` bytes from `address` (overflow-safe: an address
// and length from a guest may be anything). Initiators check this before touching the pointer.
// After a b_transport, which a target may have spent waiting (the DDR controller's queues): the
// quantum keeper's local time again points at the absolute time `issued`, or is zero when the
// kernel has passed it, so that a later sync() does not wait that time twice.
inline void keep_local_time_at(tlm_utils::tlm_quantumkeeper& quantum, const sc_core::sc_time& issued) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  quantum.set(issued > now ? issued - now : sc_core::SC_ZERO_TIME);
}

inline bool dmi_covers(const tlm::tlm_dmi& dmi, uint64_t address, uint64_t length) {
  return range_within_last(address, length, dmi.get_start_address(), dmi.get_end_address());
}

// Initiators that move data through a DMI pointer report what they moved, so the target's
// statistics and energy stay complete: no byte moves uncounted. Called once per bulk access
// (a block copy, a cache-line batch), never per byte.
class DmiAccountant {
 public:
  virtual ~DmiAccountant() = default;
  // Records the access and returns the time it would have taken on the memory. Its energy is
  // attributed to `tag` (the ledger's current tag when kUntagged), as a transaction carrying an
  // EnergyTagExtension would be; every accountant on the path passes it on. Overriders declare
  // no default of their own: callers go through this interface.
  virtual sc_core::sc_time account(uint64_t address, uint64_t bytes, bool write, TagId tag = kUntagged) = 0;
  // The same for an access that arrives at `arrival` (absolute simulated time); returns when it
  // completes. A memory with ports queues it behind the accesses already booked on them, so
  // several DMI accesses in flight cannot exceed the port's bandwidth; memories modelled by
  // duration alone keep this default.
  virtual sc_core::sc_time account_at(const sc_core::sc_time& arrival, uint64_t address, uint64_t bytes, bool write,
                                      TagId tag = kUntagged) {
    return arrival + account(address, bytes, write, tag);
  }
};

// Carried on the payload of get_direct_mem_ptr(): the memory that grants DMI fills in its
// accountant; the initiator keeps it with the DMI region. An interconnect on the way may wrap the
// memory's accountant in its own (the bus does: it books its port and counts its beats, then
// forwards to the memory's), so DMI traffic costs bus time and energy too.
struct DmiAccountingExtension : tlm::tlm_extension<DmiAccountingExtension> {
  DmiAccountant* accountant = nullptr;
  uint64_t address_offset = 0;  // added by interconnects: initiator address = target address + offset

  tlm::tlm_extension_base* clone() const override { return new DmiAccountingExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const DmiAccountingExtension&>(other);
  }
};

// What a DMI request returned: the grant (or refusal, whose range says where asking again is
// pointless) and the memory's accountant that every byte moved through the pointer must be reported to.
struct DmiGrant {
  bool granted = false;
  tlm::tlm_dmi dmi;
  DmiAccountant* accountant = nullptr;
  uint64_t accountant_offset = 0;  // initiator address = target address + offset
};

// Asks the target behind `socket` for DMI around `address`, with the accounting extension.
template <typename Socket>
DmiGrant request_dmi_with_accounting(Socket& socket, uint64_t address) {
  tlm::tlm_generic_payload request;
  setup_payload(request, tlm::TLM_READ_COMMAND, address, nullptr, 0);
  DmiAccountingExtension accounting;
  request.set_extension(&accounting);
  DmiGrant grant;
  // A grant without a pointer or with an inverted range is of no use (and unsafe): treated as refused.
  grant.granted = socket->get_direct_mem_ptr(request, grant.dmi) && grant.dmi.get_dmi_ptr() &&
                  grant.dmi.get_start_address() <= grant.dmi.get_end_address();
  request.clear_extension(&accounting);
  grant.accountant = accounting.accountant;
  grant.accountant_offset = accounting.address_offset;
  return grant;
}

}  // namespace dlvp
